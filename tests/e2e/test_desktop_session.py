"""End-to-end: a whole desktop session made of Debian packages
(data/desktop/spice-wl-desktop: waybar, fuzzel, foot) through a real SPICE
client. The panel shows across the top of the client's screen, the terminal
opens with its title bar below it, and the panel's "Applications" button
opens the launcher, which starts an app (the test client, from a .desktop
file) that maps in the area the panel leaves."""

import os
import re
import shutil
import sys
import tempfile
import unittest

from harness import PATTERNS, TEST_CLIENT, SessionTestCase, quadrant_points
from test_wm import read_png_rgb

DESKTOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                       "desktop")
SESSION = os.path.join(DESKTOP, "spice-wl-desktop")
W, H = 1024, 768
# The server-side title bar of the focused window (compositor/decoration.c).
FOCUSED_BAR = "285577"
LAUNCHER = "ff00ff"


def panel_style():
    """(background colour, height) of the panel, from the session's own files."""
    with open(os.path.join(DESKTOP, "waybar.css")) as f:
        css = f.read()
    colour = re.search(r"window#waybar\s*{[^}]*background-color:\s*#([0-9a-f]{6})", css)[1]
    with open(os.path.join(DESKTOP, "waybar.json")) as f:
        height = int(re.search(r'"height":\s*(\d+)', f.read())[1])
    return colour, height


@unittest.skipUnless(all(shutil.which(p) for p in ("waybar", "fuzzel", "foot")),
                     "needs waybar, fuzzel and foot")
class DesktopSessionTests(SessionTestCase):

    def session_env(self):
        home = tempfile.mkdtemp(prefix="swl-desktop-")
        self.addCleanup(shutil.rmtree, home, True)
        apps = os.path.join(home, "data", "applications")
        os.makedirs(apps)
        # What the launcher offers besides the system's applications.
        with open(os.path.join(apps, "swl-test-window.desktop"), "w") as f:
            f.write("[Desktop Entry]\nType=Application\nName=Swl Test Window\n"
                    f"Exec={os.path.abspath(TEST_CLIENT)} --maximized --pattern 3\n")
        # The launcher in one colour (text too) that the test waits for;
        # nothing else of the user's: no waybar config, no launch history.
        os.makedirs(os.path.join(home, "config", "fuzzel"))
        with open(os.path.join(home, "config", "fuzzel", "fuzzel.ini"), "w") as f:
            f.write("[main]\nicons-enabled=no\n[colors]\n" + "".join(
                f"{key}={LAUNCHER}ff\n" for key in ("background", "text", "match", "selection",
                                                    "selection-text", "selection-match",
                                                    "border")))
        return {"XDG_DATA_HOME": os.path.join(home, "data"),
                "XDG_CONFIG_HOME": os.path.join(home, "config"),
                "XDG_CACHE_HOME": os.path.join(home, "cache"),
                "TERMINAL": "foot"}

    def title_bar_row(self, p, x, top):
        """The first row below top where column x crosses a focused title
        bar (26 rows of its colour), once the screen is still; else None."""
        path = os.path.join(tempfile.mkdtemp(prefix="swl-desktop-shot-"), "screen.png")
        self.addCleanup(shutil.rmtree, os.path.dirname(path), True)
        self.assertEqual(p.command("quiet 300 10000"), "ok")
        self.assertEqual(p.command(f"screenshot {path}"), "ok")
        _, _, rows = read_png_rgb(path)
        bar = bytes.fromhex(FOCUSED_BAR)
        run = 0
        for y in range(top, H):
            run = run + 1 if rows[y][x * 3:x * 3 + 3] == bar else 0
            if run == 20:
                return y - 19
        return None

    def test_panel_terminal_and_launcher(self):
        colour, height = panel_style()
        s = self.start(["--desktop", "--size", f"{W}x{H}"], [SESSION], env=self.session_env())
        p = self.connect(s)
        # The panel across the top of the client's screen.
        for x in (W * 3 // 4, W - 3):
            self.assertEqual(p.wait_pixel(x, height - 2, colour, 20000), "ok")
        # The terminal maps, centred, its server-side title bar below the panel.
        row = None
        for _ in range(20):
            row = self.title_bar_row(p, W // 2, height)
            if row is not None:
                break
        self.assertIsNotNone(row, "no terminal title bar under the panel")
        # The panel's button opens the launcher, which takes the keyboard.
        self.assertEqual(p.command(f"move 20 {height // 2}"), "ok")
        self.assertEqual(p.command("click left"), "ok")
        self.assertEqual(p.wait_pixel(W // 2, H // 2, LAUNCHER), "ok")
        self.assertEqual(p.command("type swl test window"), "ok")
        self.assertEqual(p.command("key 1c"), "ok")
        # The app it started (maximized) fills the screen below the panel,
        # the panel staying above it. (fuzzel gives it no stdout to tell.)
        p.assert_pixels(self, zip(quadrant_points(0, height, W, H - height), PATTERNS[3]))
        self.assertEqual(p.wait_pixel(1, height, PATTERNS[3][0]), "ok")
        self.assertEqual(p.wait_pixel(W - 1, H - 1, PATTERNS[3][3]), "ok")
        self.assertEqual(p.command(f"pixel {W - 3} {height - 2}"), colour)


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
