"""End-to-end: desktop-mode window management with a real GTK3 app (its
client-side title bars) and a real X11 client, through a real SPICE client:
modal dialogs stay above their parent, maximize and unmaximize, windows
too big for the screen shrink onto it, Alt+Tab brings back covered and
minimized windows, Alt+drag moves a window. Server-side frames: an X11
window (and a Wayland one that asks through xdg-decoration) gets a title
bar with its title, which moves the window when dragged, and whose buttons
maximize and close it. A taskbar (tests/clients/swl-toplevel-client, on
wlr-foreign-toplevel-management) lists GTK and X11 windows with their state
and activates, minimizes, maximizes and closes them."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

from harness import PATTERNS, TEST_CLIENT, LineReader, SessionTestCase, quadrant_points

X11_CLIENT = os.environ.get("SWL_X11_CLIENT", "swl-x11-client")
TOPLEVEL_CLIENT = os.environ.get("SWL_TOPLEVEL_CLIENT", "swl-toplevel-client")
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


class GtkTestCase(SessionTestCase):
    """A session whose COMMAND is the GTK3 test app (tests/clients/gtk-wm-app.py)."""

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


@unittest.skipUnless(have_gtk(), "needs python3-gi and gir1.2-gtk-3.0")
class GtkWindowTests(GtkTestCase):

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

    def test_header_bar_drag_moves_window(self):
        s, p = self.start_app()
        x0, y0, header = self.main_window(s, p)
        # The content is where the window was placed, not shifted by GTK's
        # shadow (the surface's margin around the window geometry).
        self.assertEqual(p.command("quiet 300 10000"), "ok")
        self.assertNotEqual(p.command(f"pixel {x0 - 3} {y0 + 5}"), RED)
        # Press in the header bar: GTK asks for an xdg move once the pointer
        # has moved past its drag threshold with the button held; the
        # compositor then takes the pointer (GTK sees it leave).
        hx, hy = x0 + 150, y0 - header // 2
        for cmd in (f"move {hx} {hy}", "buttondown left"):
            self.assertEqual(p.command(cmd), "ok")
        s.expect("press main")
        self.assertEqual(p.command(f"move {hx + 20} {hy + 20}"), "ok")
        s.expect("leave main")
        # The window follows the pointer from where the move began.
        dx, dy = 130, 80
        for cmd in (f"move {hx + 20 + dx} {hy + 20 + dy}", "buttonup left"):
            self.assertEqual(p.command(cmd), "ok")
        self.assertEqual(p.wait_pixel(x0 + dx + 2, y0 + dy + 5, RED), "ok")
        self.assertEqual(p.wait_pixel(x0 + 5, y0 + 5, BLACK), "ok")
        # The rest of the uncovered area may come in later draws.
        self.assertEqual(p.command("quiet 300 10000"), "ok")
        self.assertNotEqual(p.command(f"pixel {x0 + dx - 3} {y0 + dy + 5}"), RED)
        # The header bar came along: it is above the content again.
        self.assertNotEqual(p.command(f"pixel {x0 + dx + 300} {y0 + dy - header // 2}"), RED)

    def test_csd_edge_drag_resizes_from_left_and_top(self):
        s, p = self.start_app()
        x0, y0, header = self.main_window(s, p)
        # GTK's resize handles are in its shadow, just outside the window: a
        # press there makes GTK ask for an xdg resize at once.
        for edge, (x, y), (dx, dy), size in (
                ("left", (x0 - 4, y0 + 200), (-50, 0), "650 400"),
                ("top", (x0 + 300, y0 - header - 4), (0, -30), "650 430")):
            for cmd in (f"move {x} {y}", "buttondown left"):
                self.assertEqual(p.command(cmd), "ok")
            s.expect("leave main")
            for cmd in (f"move {x + dx} {y + dy}", "buttonup left"):
                self.assertEqual(p.command(cmd), "ok")
            s.expect(f"size main {size} ")
            x0, y0 = x0 + dx, y0 + dy
        # The dragged edges moved, the right and bottom ones stayed.
        self.assertEqual(p.command("quiet 300 10000"), "ok")
        for (x, y), inside in (((x0 + 2, y0 + 5), True), ((x0 - 3, y0 + 5), False),
                               ((x0 + 647, y0 + 427), True), ((x0 + 653, y0 + 200), False),
                               ((x0 + 200, y0 + 433), False)):
            self.assertEqual(p.command(f"pixel {x} {y}") == RED, inside, (x, y))
        self.assertNotEqual(p.command(f"pixel {x0 + 200} {y0 - header // 2}"), RED)

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

    def test_windows_opened_at_once_cascade(self):
        s, p = self.start_app()
        # Both at once: the second surface exists before the first maps.
        s.send("window main ff0000 600 400\nwindow other ffff00 600 400")
        header = int(s.expect("size main ").split()[4])
        s.expect("size other ")
        x0, y0 = (W - 600) // 2, (H - 400 - header) // 2 + header
        # The first is centred, the second one cascade step down and right.
        self.assertEqual(p.wait_pixel(x0 + 32 + 5, y0 + 32 + 5, YELLOW), "ok")
        self.assertEqual(p.wait_pixel(x0 + 5, y0 + 200, RED), "ok")

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

    def drag(self, p, x, y, x1, y1):
        for cmd in (f"move {x} {y}", "buttondown left", f"move {x1} {y1}", "buttonup left"):
            self.assertEqual(p.command(cmd), "ok")

    def test_x11_border_drag_resizes_from_top_and_left(self):
        s, p = self.x11_window()
        # The title bar's top rows are the top edge: the bottom stays.
        self.drag(p, 200, 100 - TITLE + 1, 200, 100 - TITLE - 29)
        s.expect("configure 200 130")
        p.assert_pixels(self, zip(quadrant_points(100, 70, 200, 130), PATTERNS[0]))
        # Where the title bar was, and the bottom row, are the window's now.
        p.assert_pixels(self, [((102, 72), RED), ((298, 198), "ffffff")])
        # Its frame came along: title bar above, border beside the new height.
        self.assertEqual(p.wait_pixel(100 + 200 - 3 * TITLE - 5, 70 - 4, FOCUSED_BAR), "ok")
        self.assertEqual(p.wait_pixel(100 - 2, 195, FOCUSED_BAR), "ok")
        # The left border: the right edge stays.
        self.drag(p, 100 - 2, 130, 100 - 42, 130)
        s.expect("configure 240 130")
        p.assert_pixels(self, zip(quadrant_points(60, 70, 240, 130), PATTERNS[0]))
        p.assert_pixels(self, [((62, 72), RED), ((298, 198), "ffffff")])
        s.expect("position 60 70")
        # The bottom-right corner: both edges.
        self.drag(p, 300 + 2, 200 + 2, 300 + 62, 200 + 32)
        s.expect("configure 300 160")
        p.assert_pixels(self, zip(quadrant_points(60, 70, 300, 160), PATTERNS[0]))
        p.assert_pixels(self, [((62, 72), RED), ((358, 228), "ffffff")])

    def test_wayland_server_side_frame_resizes_from_top(self):
        s = self.start(["--desktop", "--size", "800x600"],
                       [os.environ.get("SWL_TEST_CLIENT", "swl-test-client"), "--size",
                        "300x200", "--decoration", "server"])
        s.expect("ready")
        p = self.connect(s)
        x, y = (800 - 300) // 2, (600 - 200 + TITLE) // 2
        p.assert_pixels(self, zip(quadrant_points(x, y, 300, 200), PATTERNS[0]))
        self.drag(p, x + 150, y - TITLE + 1, x + 150, y - TITLE - 39)
        s.expect("ready 300 240")
        # Its bottom stayed: the window grew upwards, its frame with it.
        p.assert_pixels(self, zip(quadrant_points(x, y - 40, 300, 240), PATTERNS[0]))
        p.assert_pixels(self, [((x + 2, y - 38), RED), ((x + 2, y + 198), BLUE)])
        self.assertEqual(p.wait_pixel(x + 2, y + 202, FOCUSED_BAR), "ok")
        self.assertEqual(p.wait_pixel(x + 300 - 3 * TITLE - 5, y - 40 - 4, FOCUSED_BAR), "ok")

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


class Taskbar:
    """swl-toplevel-client in the session: the windows it lists, by title."""

    def __init__(self, test, s):
        env = dict(os.environ, XDG_RUNTIME_DIR=s.runtime_dir, WAYLAND_DISPLAY="wayland-0")
        env.pop("DISPLAY", None)
        self.proc = subprocess.Popen([TOPLEVEL_CLIENT], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        test.addCleanup(self.proc.stdout.close)
        test.addCleanup(self.proc.stdin.close)
        test.addCleanup(self.proc.wait, 10)
        test.addCleanup(self.proc.kill)
        self.out = LineReader(self.proc.stdout, "swl-toplevel-client")
        self.windows = {}  # title -> the fields of its last "toplevel" line
        self.closed_ids = set()
        self.done = []  # commands answered
        test.assertEqual(self.out.readline(), "ready")

    def _next(self):
        """Reads one line and keeps what it says."""
        line = self.out.wait_for(lambda l: True)
        if line.startswith("toplevel "):
            words = line.split(" ", 6)
            w = dict(word.split("=", 1) for word in words[2:])
            w["id"] = words[1]
            w["state"] = set(w["state"].split(",")) - {"-"}
            self.windows[w["title"]] = w
        elif line.startswith("closed "):
            self.closed_ids.add(line.split()[1])
        elif line.startswith("done "):
            self.done.append(line.split()[1])
        else:
            raise AssertionError(f"taskbar: {line}")

    def wait(self, title, check=lambda w: True):
        """The window's fields once check(fields) holds (a line comes after every change)."""
        while title not in self.windows or not check(self.windows[title]):
            self._next()
        return self.windows[title]

    def closed(self, title):
        while self.windows[title]["id"] not in self.closed_ids:
            self._next()

    def request(self, cmd, title):
        self.proc.stdin.write(f"{cmd} {self.windows[title]['id']}\n".encode())
        self.proc.stdin.flush()
        while cmd not in self.done:
            self._next()
        self.done.remove(cmd)


@unittest.skipUnless(have_gtk(), "needs python3-gi and gir1.2-gtk-3.0")
class GtkTaskbarTests(GtkTestCase):
    """A taskbar acts on GTK windows the way the user's clicks and keys do."""

    def test_taskbar_lists_activates_minimizes_and_closes(self):
        s, p = self.start_app()
        x0, y0, header = self.main_window(s, p)
        self.open_window(s, "other", YELLOW, 600, 400)
        centre = (x0 + 300, y0 + 200)
        self.assertEqual(p.wait_pixel(*centre, YELLOW), "ok")
        bar = Taskbar(self, s)
        # Both windows, the top one active, each on the one output.
        other = bar.wait("other", lambda w: "activated" in w["state"])
        main = bar.wait("main")
        self.assertEqual(main["state"], set())
        self.assertEqual((main["outputs"], other["outputs"]), ("1", "1"))
        self.assertNotEqual(main["app_id"], "-")
        self.assertEqual(main["app_id"], other["app_id"])
        # Activate brings the covered window up and gives it the keyboard.
        bar.request("activate", "main")
        self.assertEqual(p.wait_pixel(*centre, RED), "ok")
        bar.wait("main", lambda w: w["state"] == {"activated"})
        bar.wait("other", lambda w: w["state"] == set())
        # Minimize hides it; the taskbar sees it minimized.
        bar.request("minimize", "main")
        self.assertEqual(p.wait_pixel(*centre, YELLOW), "ok")
        bar.wait("main", lambda w: "minimized" in w["state"])
        bar.wait("other", lambda w: "activated" in w["state"])
        # Activating a minimized window brings it back.
        bar.request("activate", "main")
        self.assertEqual(p.wait_pixel(*centre, RED), "ok")
        bar.wait("main", lambda w: w["state"] == {"activated"})
        # Maximize fills the screen below the header bar, and the state shows it.
        bar.request("maximize", "other")
        s.expect(f"size other {W} {H - header}")
        bar.wait("other", lambda w: "maximized" in w["state"])
        # Close asks the client: GTK closes the window, the taskbar hears it.
        bar.request("close", "other")
        s.expect("closed other")
        bar.closed("other")


class X11TaskbarTests(SessionTestCase):

    def test_taskbar_lists_maximizes_and_closes_x11_window(self):
        s = self.start(["--desktop", "--size", "800x600"],
                       [X11_CLIENT, "--size", "200x100", "--position", "100,100",
                        "--title", "X11 window", "--class", "swl-x11-test"])
        s.expect("ready")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(100, 100, 200, 100), PATTERNS[0]))
        bar = Taskbar(self, s)
        w = bar.wait("X11 window", lambda w: "activated" in w["state"])
        self.assertEqual(w["app_id"], "swl-x11-test")
        bar.request("maximize", "X11 window")
        s.expect(f"configure 800 {600 - TITLE}")
        bar.wait("X11 window", lambda w: w["state"] == {"activated", "maximized"})
        p.assert_pixels(self, zip(quadrant_points(0, TITLE, 800, 600 - TITLE), PATTERNS[0]))
        # Fullscreen covers the title bar too; leaving it goes back to maximized.
        bar.request("fullscreen", "X11 window")
        s.expect("configure 800 600")
        bar.wait("X11 window", lambda w: "fullscreen" in w["state"])
        p.assert_pixels(self, zip(quadrant_points(0, 0, 800, 600), PATTERNS[0]))
        bar.request("unfullscreen", "X11 window")
        s.expect(f"configure 800 {600 - TITLE}")
        bar.wait("X11 window", lambda w: w["state"] == {"activated", "maximized"})
        bar.request("close", "X11 window")
        s.expect("closed")
        bar.closed("X11 window")


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
