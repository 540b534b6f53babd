"""End-to-end: X11 apps through the bundled Xwayland — pixels, input,
override-redirect popups, a real Debian X app, and Xwayland dying."""

import os
import signal
import subprocess
import sys
import time
import unittest

from harness import PATTERNS, SessionTestCase, quadrant_points, xwayland_of
from test_input import unescape

X11_CLIENT = os.environ.get("SWL_X11_CLIENT", "swl-x11-client")


class XwaylandTests(SessionTestCase):

    def test_x_client_pixels_and_typed_text(self):
        s = self.start(["--size", "800x600"], [X11_CLIENT])
        s.expect("ready 800 600")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 800, 600), PATTERNS[0]))
        s.send("pattern 5")
        s.expect("drawn pattern 5")
        p.assert_pixels(self, zip(quadrant_points(0, 0, 800, 600), PATTERNS[5]))

        s.expect("keyboard enter", seen=True)
        self.assertEqual(p.command("type Hello X11!"), "ok")
        self.assertEqual(p.command("key 01"), "ok")
        text = ""
        while True:
            _, _, code, sym, utf8 = s.expect("key pressed").split(" ", 4)
            if sym == "Escape":
                break
            text += unescape(utf8)
        self.assertEqual(text, "Hello X11!")

    def test_x_click_position_desktop(self):
        s = self.start(["--desktop", "--size", "1024x768"],
                       [X11_CLIENT, "--size", "300x200", "--position", "100,150"])
        s.expect("ready 300 200")
        p = self.connect(s)
        # The window asked for 100,150 and gets it in desktop mode.
        p.assert_pixels(self, zip(quadrant_points(100, 150, 300, 200), PATTERNS[0]))
        self.assertEqual(p.command("move 130 190"), "ok")
        self.assertEqual(p.command("click left"), "ok")
        s.expect("pointer button 272 pressed")
        motions = [l for l in s.out.lines if l.startswith(("pointer motion", "pointer enter"))]
        x, y = map(float, motions[-1].split()[2:4])
        self.assertAlmostEqual(x, 30, delta=1.0)
        self.assertAlmostEqual(y, 40, delta=1.0)

    def test_override_redirect_popup_at_its_position(self):
        s = self.start(["--size", "800x600"], [X11_CLIENT])
        s.expect("ready 800 600")
        p = self.connect(s)
        s.send("popup 120 80 60 40 00ffff")
        s.expect("popup mapped")
        p.assert_pixels(self, [((121, 81), "00ffff"), ((179, 119), "00ffff")])
        # Just outside the popup is still the window below.
        self.assertEqual(p.command("pixel 119 80"), PATTERNS[0][0])
        self.assertEqual(p.command("pixel 180 120"), PATTERNS[0][0])
        s.send("popup-close")
        p.assert_pixels(self, [((150, 100), PATTERNS[0][0])])

    def test_fullscreen_request_in_desktop_mode(self):
        s = self.start(["--desktop", "--size", "640x480"],
                       [X11_CLIENT, "--size", "200x100", "--fullscreen"])
        s.expect("ready 640 480")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 640, 480), PATTERNS[0]))

    def test_real_x_app_shows_content(self):
        s = self.start(["--size", "400x300"], ["xlogo"])
        p = self.connect(s)
        # xlogo draws its logo in the foreground colour over a white window.
        self.assertEqual(p.wait_pixel(5, 5, "ffffff", 15000), "ok")
        self.assertEqual(p.command("quiet 300 10000"), "ok")
        colors = set()
        for y in range(0, 300, 10):
            for x in range(0, 400, 10):
                colors.add(p.command(f"pixel {x} {y}"))
        self.assertGreater(len(colors), 1, colors)

    def test_kiosk_exit_status_of_x_command(self):
        s = self.start(["--size", "320x240"], [X11_CLIENT])
        s.expect("ready 320 240")
        s.send("exit 5")
        self.assertEqual(s.wait_exit(), 5)

    def test_xwayland_killed_session_survives(self):
        s = self.start(["--desktop", "--size", "640x480"],
                       ["sh", "-c", "echo display=$DISPLAY; exec sleep 600"])
        display = s.expect("display=").split("=", 1)[1]
        self.assertTrue(display.startswith(":"), display)
        env = dict(os.environ, DISPLAY=display, XDG_RUNTIME_DIR=s.runtime_dir)
        env.pop("WAYLAND_DISPLAY", None)

        first = subprocess.Popen([X11_CLIENT, "--size", "200x100"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, env=env)
        try:
            line = b""
            while line is not None and not line.startswith(b"ready"):
                line = first.stdout.readline()
                self.assertTrue(line, "X client ended before drawing")
            xwayland = xwayland_of(s.runtime_dir)
            self.assertEqual(len(xwayland), 1, xwayland)
            os.kill(xwayland[0], signal.SIGKILL)
            self.assertNotEqual(first.wait(20), 0)  # its X server went away
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
            first.stdin.close()
            first.stdout.close()
        self.assertIsNone(s.proc.poll(), "spice-wl died with Xwayland")

        # The next X client gets a fresh Xwayland and shows up.
        p = self.connect(s)
        second = subprocess.Popen([X11_CLIENT, "--size", "200x100", "--pattern", "6"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                line = second.stdout.readline()
                if not line or line.startswith(b"ready"):
                    break
            self.assertTrue(line.startswith(b"ready"), line)
            x, y = (640 - 200) // 2, (480 - 100) // 2
            p.assert_pixels(self, zip(quadrant_points(x, y, 200, 100), PATTERNS[6]))
        finally:
            second.kill()
            second.wait()
            second.stdin.close()
            second.stdout.close()
        self.assertIsNone(s.proc.poll())


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
