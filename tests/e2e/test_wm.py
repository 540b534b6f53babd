"""End-to-end: desktop-mode window management with a real GTK3 app (its
client-side title bars) and a real X11 client, through a real SPICE client:
modal dialogs stay above their parent, maximize and unmaximize, windows
too big for the screen shrink onto it, Alt+Tab brings back covered and
minimized windows, Alt+drag moves a window."""

import os
import shutil
import sys
import unittest

from harness import PATTERNS, TEST_CLIENT, SessionTestCase, quadrant_points

X11_CLIENT = os.environ.get("SWL_X11_CLIENT", "swl-x11-client")
GTK_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients",
                       "gtk-wm-app.py")
# The distribution's python3, which has python3-gi (a pyenv one may not).
SYSTEM_PYTHON = "/usr/bin/python3"

W, H = 1024, 768
RED, GREEN, YELLOW, BLUE, BLACK = "ff0000", "00ff00", "ffff00", "0000ff", "000000"


def have_gtk():
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    import subprocess
    return subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('Gtk', '3.0'); "
                           "from gi.repository import Gtk"], capture_output=True).returncode == 0


@unittest.skipUnless(have_gtk(), "needs python3-gi and gir1.2-gtk-3.0")
class GtkWindowTests(SessionTestCase):

    def start_app(self):
        s = self.start(["--desktop", "--size", f"{W}x{H}"], [SYSTEM_PYTHON, GTK_APP],
                       env={"GDK_BACKEND": "wayland", "NO_AT_BRIDGE": "1"})
        s.expect("ready")
        return s, self.connect(s)

    def open_window(self, s, name, color, width, height, *parent):
        """Opens a window; returns its header bar height once it is drawn."""
        s.send(" ".join(["window", name, color, str(width), str(height)] + list(parent)))
        line = s.expect(f"size {name} ")
        return line.split()[2:5]

    def main_window(self, s, p):
        """A 600x400 red window, centred: returns its content's top-left."""
        _, _, header = self.open_window(s, "main", RED, 600, 400)
        x0, y0 = (W - 600) // 2, (H - 400 - int(header)) // 2 + int(header)
        self.assertEqual(p.wait_pixel(x0 + 5, y0 + 5, RED), "ok")
        return x0, y0, int(header)

    def test_modal_dialog_stays_above_clicked_parent(self):
        s, p = self.start_app()
        x0, y0, _ = self.main_window(s, p)
        self.open_window(s, "dlg", GREEN, 300, 200, "main", "modal")
        # Centred on its parent, so on the parent's centre.
        self.assertEqual(p.wait_pixel(x0 + 300, y0 + 200 + 20, GREEN), "ok")
        self.assertEqual(p.command(f"move {x0 + 20} {y0 + 20}"), "ok")
        self.assertEqual(p.command("click left"), "ok")
        self.assertEqual(p.command("quiet 300 10000"), "ok")
        self.assertEqual(p.command(f"pixel {x0 + 300} {y0 + 220}"), GREEN)
        self.assertEqual(p.command(f"pixel {x0 + 20} {y0 + 20}"), RED)

    def test_maximize_fills_and_unmaximize_restores(self):
        s, p = self.start_app()
        x0, y0, header = self.main_window(s, p)
        self.assertEqual(p.command(f"pixel {W - 4} {H - 4}"), BLACK)
        s.send("maximize main")
        s.expect(f"size main {W} {H - header}")
        self.assertEqual(p.wait_pixel(W - 4, H - 4, RED), "ok")
        self.assertEqual(p.wait_pixel(4, header + 4, RED), "ok")
        s.send("unmaximize main")
        s.expect("size main 600 400")
        self.assertEqual(p.wait_pixel(W - 4, H - 4, BLACK), "ok")
        self.assertEqual(p.wait_pixel(x0 + 5, y0 + 5, RED), "ok")

    def test_window_larger_than_screen_fits(self):
        s, p = self.start_app()
        s.send("window big 0000ff 1600 1200")
        while True:
            _, _, width, height, header = s.expect("size big ").split()
            if int(width) <= W and int(height) + int(header) <= H:
                break
        # Title bar at the top of the screen, the far corner on it.
        self.assertEqual(p.wait_pixel(4, int(header) + 4, BLUE), "ok")
        self.assertEqual(p.wait_pixel(int(width) - 4, int(header) + int(height) - 4, BLUE), "ok")
        self.assertNotEqual(p.command("pixel 4 4"), BLACK)

    def alt_tab(self, p):
        for cmd in ("keydown 38", "key 0f", "keyup 38"):
            self.assertEqual(p.command(cmd), "ok")

    def test_alt_tab_brings_back_covered_and_minimized(self):
        s, p = self.start_app()
        x0, y0, _ = self.main_window(s, p)
        self.open_window(s, "other", YELLOW, 600, 400)
        centre = (x0 + 300, y0 + 200)
        self.assertEqual(p.wait_pixel(*centre, YELLOW), "ok")
        self.alt_tab(p)
        self.assertEqual(p.wait_pixel(*centre, RED), "ok")
        s.send("iconify main")
        self.assertEqual(p.wait_pixel(*centre, YELLOW), "ok")
        self.alt_tab(p)
        self.assertEqual(p.wait_pixel(*centre, RED), "ok")


class EarlyStateTests(SessionTestCase):
    """States a Wayland client asks for before its first commit: wlroots 0.15
    announces the surface only at that commit, after the requests."""

    def check_fills_screen(self, flag):
        s = self.start(["--desktop", "--size", "640x480"],
                       [TEST_CLIENT, "--size", "200x100", flag])
        s.expect("ready 640 480")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 640, 480), PATTERNS[0]))

    def test_fullscreen_before_first_commit(self):
        self.check_fills_screen("--fullscreen")

    def test_maximized_before_first_commit(self):
        self.check_fills_screen("--maximized")


class X11WindowTests(SessionTestCase):

    def test_x11_window_larger_than_screen_fits(self):
        s = self.start(["--desktop", "--size", "800x600"],
                       [X11_CLIENT, "--size", "1400x1000", "--position", "300,200"])
        s.expect("ready")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 800, 600), PATTERNS[0]))

    def test_alt_drag_moves_x11_window(self):
        s = self.start(["--desktop", "--size", "800x600"],
                       [X11_CLIENT, "--size", "200x100", "--position", "100,100"])
        s.expect("ready")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(100, 100, 200, 100), PATTERNS[0]))
        for cmd in ("move 150 150", "keydown 38", "buttondown left", "move 250 250",
                    "move 450 350", "buttonup left", "keyup 38"):
            self.assertEqual(p.command(cmd), "ok")
        p.assert_pixels(self, zip(quadrant_points(400, 300, 200, 100), PATTERNS[0]))


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
