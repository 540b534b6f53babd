"""End-to-end: desktop-mode window management with a real GTK3 app (its
client-side title bars) and a real X11 client, through a real SPICE client:
modal dialogs stay above their parent, maximize and unmaximize, windows
too big for the screen shrink onto it, Alt+Tab brings back covered and
minimized windows, Alt+drag moves a window. Server-side frames: an X11
window (and a Wayland one that asks through xdg-decoration) gets a title
bar with its title, which moves the window when dragged, and whose buttons
maximize and close it."""

import os
import shutil
import struct
import sys
import tempfile
import unittest
import zlib

from harness import PATTERNS, TEST_CLIENT, SessionTestCase, quadrant_points

X11_CLIENT = os.environ.get("SWL_X11_CLIENT", "swl-x11-client")
GTK_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients",
                       "gtk-wm-app.py")
# The distribution's python3, which has python3-gi (a pyenv one may not).
SYSTEM_PYTHON = "/usr/bin/python3"

W, H = 1024, 768
RED, GREEN, YELLOW, BLUE, BLACK = "ff0000", "00ff00", "ffff00", "0000ff", "000000"

# The server-side frame (compositor/placement.h): title bar height, border,
# and the focused title bar's background.
TITLE, BORDER, FOCUSED_BAR = 26, 4, "285577"


def read_png_rgb(path):
    """(width, height, rows of RGB bytes) of an 8-bit RGB PNG (the probe's)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype == 2, "not an 8-bit RGB PNG"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride, rows, prev = width * 3, [], bytearray(width * 3)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xff
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def count_not(rows, x0, y0, x1, y1, color):
    """How many pixels in [x0, x1) x [y0, y1) are not color (RRGGBB)."""
    want = bytes.fromhex(color)
    return sum(1 for y in range(y0, y1) for x in range(x0, x1)
               if rows[y][x * 3:x * 3 + 3] != want)


def have_gtk():
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    import subprocess
    return subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('Gtk', '3.0'); "
                           "from gi.repository import Gtk"], capture_output=True).returncode == 0


@unittest.skipUnless(have_gtk(), "needs python3-gi and gir1.2-gtk-3.0")
class GtkWindowTests(SessionTestCase):

    def start_app(self, *extra):
        s = self.start(["--desktop", "--size", f"{W}x{H}"] + list(extra), [SYSTEM_PYTHON, GTK_APP],
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

    def test_shadowed_window_shows_where_placed(self):
        # GTK draws a shadow around its windows (xdg window geometry inside
        # a larger buffer): the window's edges, not the shadow's, go where
        # placement puts them. A window too tall for the screen is centred
        # across and fills it from top to bottom.
        s, p = self.start_app()
        s.send("window tall 0000ff 600 1200")
        while True:
            _, _, width, height, header = s.expect("size tall ").split()
            if int(height) + int(header) <= H:
                break
        self.assertEqual(width, "600")
        self.assertEqual(int(height) + int(header), H)
        left, right = (W - 600) // 2, (W + 600) // 2
        self.assertEqual(p.wait_pixel(left + 2, H - 2, BLUE), "ok")
        self.assertEqual(p.wait_pixel(right - 2, H - 2, BLUE), "ok")
        self.assertEqual(p.command("quiet 300 10000"), "ok")
        self.assertNotEqual(p.command(f"pixel {left - 3} {H // 2}"), BLUE)
        self.assertNotEqual(p.command(f"pixel {right + 3} {H // 2}"), BLUE)
        # The header bar's top row is on the screen: the window's top edge.
        self.assertNotEqual(p.command(f"pixel {W // 2} 0"), BLACK)

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

    def test_present_activates_through_xdg_activation(self):
        s, p = self.start_app()
        x0, y0, _ = self.main_window(s, p)
        self.open_window(s, "other", YELLOW, 600, 400)
        centre = (x0 + 300, y0 + 200)
        self.assertEqual(p.wait_pixel(*centre, YELLOW), "ok")
        # A token needs the serial of a user's input (wlroots rejects others,
        # as focus-stealing prevention): a click in the top window first.
        self.assertEqual(p.command(f"move {centre[0]} {centre[1]}"), "ok")
        self.assertEqual(p.command("click left"), "ok")
        s.expect("press other")
        # GTK asks for a token and activates main with it: main comes up.
        s.send("present main")
        s.expect("done present")
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

    @unittest.skipUnless(have_gtk(), "needs python3-gi and gir1.2-gtk-3.0")
    def test_first_x11_gtk_window_is_centred(self):
        # GTK on X11 (as GIMP) first creates an unmapped client leader window:
        # the first window the user sees still opens in the middle.
        s = self.start(["--desktop", "--size", f"{W}x{H}"], [SYSTEM_PYTHON, GTK_APP],
                       env={"GDK_BACKEND": "x11", "NO_AT_BRIDGE": "1"})
        s.expect("ready")
        p = self.connect(s)
        s.send(f"window main {RED} 600 400")
        s.expect("size main ")
        self.assertEqual(p.wait_pixel(W // 2, H // 2, RED), "ok")
        path = os.path.join(tempfile.mkdtemp(prefix="swl-wm-"), "centred.png")
        self.assertEqual(p.command("quiet 300 10000"), "ok")
        self.assertEqual(p.command(f"screenshot {path}"), "ok")
        _, _, rows = read_png_rgb(path)
        red = [x for x in range(W) if rows[H // 2][x * 3:x * 3 + 3] == bytes.fromhex(RED)]
        left, right = red[0], W - 1 - red[-1]
        self.assertLessEqual(abs(left - right), 2, f"red from {red[0]} to {red[-1]}")

    def test_x11_window_larger_than_screen_fits(self):
        s = self.start(["--desktop", "--size", "800x600"],
                       [X11_CLIENT, "--size", "1400x1000", "--position", "300,200"])
        s.expect("ready")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 800, 600), PATTERNS[0]))
        # Its title bar stays on the screen, at the top.
        self.assertEqual(p.wait_pixel(400, 4, FOCUSED_BAR), "ok")

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


class FrameTests(SessionTestCase):
    """Server-side frames, used through a real SPICE client's pointer."""

    def x11_window(self, *extra):
        s = self.start(["--desktop", "--size", "800x600"],
                       [X11_CLIENT, "--size", "200x100", "--position", "100,100",
                        "--title", "Hello frame"] + list(extra))
        s.expect("ready")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(100, 100, 200, 100), PATTERNS[0]))
        return s, p

    def title_pixels(self, p, x, y, width):
        """Pixels of the title text area that are not the focused bar's colour."""
        path = os.path.join(tempfile.mkdtemp(prefix="swl-wm-"), "frame.png")
        self.assertEqual(p.command("quiet 300 10000"), "ok")
        self.assertEqual(p.command(f"screenshot {path}"), "ok")
        _, _, rows = read_png_rgb(path)
        # Left of the buttons (3 squares of TITLE at the right).
        return count_not(rows, x - BORDER, y - TITLE, x + width + BORDER - 3 * TITLE, y, FOCUSED_BAR)

    def test_x11_window_has_title_bar(self):
        s, p = self.x11_window()
        # The bar above the window, in the focused colour, past the title text.
        self.assertEqual(p.wait_pixel(100 + 120, 100 - 4, FOCUSED_BAR), "ok")
        self.assertEqual(p.command(f"pixel {100 - 2} {150}"), FOCUSED_BAR)
        # The title is drawn: text pixels, but not a bar painted over.
        n = self.title_pixels(p, 100, 100, 200)
        self.assertGreater(n, 40, "no title text in the title bar")
        self.assertLess(n, 2000)

    def test_x11_title_bar_drag_moves_window(self):
        s, p = self.x11_window()
        for cmd in ("move 150 87", "buttondown left", "move 250 187", "move 350 287",
                    "buttonup left"):
            self.assertEqual(p.command(cmd), "ok")
        p.assert_pixels(self, zip(quadrant_points(300, 300, 200, 100), PATTERNS[0]))
        self.assertEqual(p.wait_pixel(300 + 120, 300 - 4, FOCUSED_BAR), "ok")
        s.expect("position 300 300")

    def test_x11_maximize_and_close_buttons(self):
        s, p = self.x11_window()
        right = 100 + 200 + BORDER
        # Maximize: the window fills the screen below its title bar.
        self.assertEqual(p.command(f"move {right - TITLE - TITLE // 2} {100 - TITLE // 2}"), "ok")
        self.assertEqual(p.command("click left"), "ok")
        s.expect(f"configure 800 {600 - TITLE}")
        p.assert_pixels(self, zip(quadrant_points(0, TITLE, 800, 600 - TITLE), PATTERNS[0]))
        self.assertEqual(p.wait_pixel(400, 4, FOCUSED_BAR), "ok")
        # Close, from the maximized window's close button (top right).
        self.assertEqual(p.command(f"move {800 - TITLE // 2} {TITLE // 2}"), "ok")
        self.assertEqual(p.command("click left"), "ok")
        s.expect("closed")

    def test_wayland_client_asking_for_server_side_gets_a_frame(self):
        s = self.start(["--desktop", "--size", "800x600"],
                       [os.environ.get("SWL_TEST_CLIENT", "swl-test-client"), "--size",
                        "300x200", "--decoration", "server", "--title", "Wayland frame"])
        s.expect("decoration server")
        s.expect("ready")
        p = self.connect(s)
        # Centred below its title bar.
        x, y = (800 - 300) // 2, (600 - 200 + TITLE) // 2
        p.assert_pixels(self, zip(quadrant_points(x, y, 300, 200), PATTERNS[0]))
        self.assertEqual(p.wait_pixel(x + 200, y - 4, FOCUSED_BAR), "ok")
        self.assertGreater(self.title_pixels(p, x, y, 300), 40)

    def test_wayland_client_side_by_default(self):
        s = self.start(["--desktop", "--size", "800x600"],
                       [os.environ.get("SWL_TEST_CLIENT", "swl-test-client"), "--size",
                        "300x200", "--decoration", "client"])
        s.expect("decoration client")
        s.expect("ready")
        p = self.connect(s)
        x, y = (800 - 300) // 2, (600 - 200) // 2
        p.assert_pixels(self, zip(quadrant_points(x, y, 300, 200), PATTERNS[0]))
        self.assertEqual(p.command(f"pixel {x + 200} {y - 4}"), BLACK)


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
