"""End-to-end: keyboard, pointer, wheel, cursor and lock keys from a real
SPICE client (spice-wl-probe on spice-client-glib) reach a Wayland client."""

import re
import sys
import unittest

from harness import TEST_CLIENT, SessionTestCase


def unescape(text):
    if text == "-":  # the client prints a typed minus as \x2d
        return ""
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), text)


class InputTests(SessionTestCase):

    def start_client(self, args=(), size="800x600", client_args=()):
        s = self.start(["--size", size] + list(args), [TEST_CLIENT] + list(client_args))
        s.expect("ready")
        p = self.connect(s)
        s.expect("keyboard enter")
        return s, p

    def typed_text(self, s, until_sym):
        """Text of key presses until a press of until_sym."""
        text = ""
        while True:
            line = s.expect("key pressed")
            _, _, code, sym, utf8 = line.split(" ", 4)
            if sym == until_sym:
                return text
            text += unescape(utf8)

    def test_type_us_layout(self):
        s, p = self.start_client()
        sample = "Hello, World! 0123456789 ~`!@#$%^&*()_+-={}[]|\\:;\"'<>,.?/ end"
        self.assertEqual(p.command("type " + sample), "ok")
        self.assertEqual(p.command("key 01"), "ok")  # Escape ends the sample
        self.assertEqual(self.typed_text(s, "Escape"), sample)

    def test_type_second_layout_de(self):
        s, p = self.start_client(["--keyboard-layout", "de"])
        # The US keys Y and Z are Z and Y on a German keyboard.
        self.assertEqual(p.command("type yz"), "ok")
        self.assertEqual(p.command("key 01"), "ok")
        self.assertEqual(self.typed_text(s, "Escape"), "zy")

    def test_bad_layout_is_startup_error(self):
        import subprocess
        from harness import SPICE_WL
        r = subprocess.run([SPICE_WL, "--disable-ticketing", "--keyboard-layout",
                            "no-such-layout", "--", "true"], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("no-such-layout", r.stderr)

    def test_scancode_sample_with_extended_keys_and_pause(self):
        s, p = self.start_client()
        # scancode -> evdev keycode, over plain, E0-extended and the Pause sequence
        sample = [
            ("1e", 30), ("2a", 42), ("3b", 59), ("45", 69), ("52", 82), ("56", 86),
            ("57", 87), ("e01c", 96), ("e01d", 97), ("e035", 98), ("e038", 100),
            ("e047", 102), ("e048", 103), ("e049", 104), ("e04b", 105), ("e04d", 106),
            ("e04f", 107), ("e050", 108), ("e051", 109), ("e052", 110), ("e053", 111),
            ("e05b", 125), ("e05d", 127), ("e11d45", 119),
        ]
        for sc, code in sample:
            with self.subTest(scancode=sc):
                self.assertEqual(p.command(f"key {sc}"), "ok")
                pressed = s.expect("key pressed")
                self.assertEqual(int(pressed.split()[2]), code, pressed)
                released = s.expect("key released")
                self.assertEqual(int(released.split()[2]), code, released)

    def check_click(self, s, p, x, y, local_x, local_y):
        self.assertEqual(p.command(f"move {x} {y}"), "ok")
        self.assertEqual(p.command("click left"), "ok")
        line = s.expect("pointer button 272 pressed")
        motions = [l for l in s.out.lines if l.startswith("pointer motion") or
                   l.startswith("pointer enter")]
        self.assertTrue(motions, "no pointer position before the click")
        px, py = map(float, motions[-1].split()[2:4])
        self.assertAlmostEqual(px, local_x, delta=1.0, msg=motions[-1])
        self.assertAlmostEqual(py, local_y, delta=1.0, msg=motions[-1])
        s.expect("pointer button 272 released")
        return line

    def test_click_positions_kiosk_two_sizes(self):
        for size, (w, h) in (("800x600", (800, 600)), ("1280x1024", (1280, 1024))):
            with self.subTest(size=size):
                s, p = self.start_client(size=size)
                self.check_click(s, p, w // 4, h // 3, w // 4, h // 3)
                self.check_click(s, p, w - 10, h - 7, w - 10, h - 7)
                p.close()
                s.close()

    def test_click_position_desktop_window(self):
        s, p = self.start_client(["--desktop"], size="1024x768",
                                 client_args=["--size", "400x300"])
        x0, y0 = (1024 - 400) // 2, (768 - 300) // 2
        self.check_click(s, p, x0 + 30, y0 + 40, 30, 40)

    def test_other_buttons(self):
        s, p = self.start_client()
        self.assertEqual(p.command("move 100 100"), "ok")
        for name, code in (("middle", 274), ("right", 273), ("side", 275), ("extra", 276)):
            with self.subTest(button=name):
                self.assertEqual(p.command(f"click {name}"), "ok")
                s.expect(f"pointer button {code} pressed")
                s.expect(f"pointer button {code} released")

    def test_wheel(self):
        s, p = self.start_client()
        self.assertEqual(p.command("move 200 200"), "ok")
        self.assertEqual(p.command("wheel 2"), "ok")
        for _ in range(2):
            self.assertEqual(s.expect("pointer axis_discrete 0"), "pointer axis_discrete 0 1")
        self.assertEqual(p.command("wheel -1"), "ok")
        self.assertEqual(s.expect("pointer axis_discrete 0"), "pointer axis_discrete 0 -1")

    def test_cursor_shape_reaches_client(self):
        s, p = self.start_client()
        self.assertEqual(p.command("move 10 10"), "ok")
        self.assertEqual(p.command("wait-cursor 10000"), "ok")
        desc = p.command("cursor")
        m = re.match(r"cursor (\d+) (\d+) (\d+) (\d+) visible=1", desc)
        self.assertIsNotNone(m, desc)
        w, h, hx, hy = map(int, m.groups())
        self.assertTrue(0 < w <= 512 and 0 < h <= 512, desc)
        self.assertTrue(hx < w and hy < h, desc)

    def test_client_cursor_surface_honoured(self):
        s, p = self.start_client(client_args=["--cursor"])
        self.assertEqual(p.command("move 50 60"), "ok")
        s.expect("pointer enter")
        # The test client's own 16x16 cursor with hotspot 3,5 replaces the theme's.
        self.assertEqual(p.command("wait-cursor 10000 16 16"), "ok")
        self.assertEqual(p.command("cursor"), "cursor 16 16 3 5 visible=1")

    def test_latency_command(self):
        s, p = self.start_client(client_args=["--echo-keys"])
        reply = p.command("latency 5 5000", timeout=60)
        m = re.match(r"latency n=5 median_ms=([\d.]+) p90_ms=([\d.]+) min_ms=([\d.]+) "
                     r"max_ms=([\d.]+)$", reply)
        self.assertIsNotNone(m, reply)
        median, p90, lo, hi = map(float, m.groups())
        self.assertTrue(0 < lo <= median <= p90 <= hi, reply)

    def test_hide_cursor(self):
        s, p = self.start_client(["--hide-cursor"])
        self.assertEqual(p.command("move 10 10"), "ok")
        desc = p.command("cursor")
        self.assertTrue(desc == "none" or "visible=0" in desc, desc)

    def test_caps_lock_reported_back(self):
        s, p = self.start_client()
        self.assertEqual(p.command("key 3a"), "ok")
        self.assertEqual(p.command("wait-leds caps=1 10000"), "ok")
        self.assertEqual(p.command("type a"), "ok")
        self.assertEqual(p.command("key 01"), "ok")
        self.assertEqual(self.typed_text(s, "Escape"), "A")
        self.assertEqual(p.command("key 3a"), "ok")
        self.assertEqual(p.command("wait-leds caps=0 10000"), "ok")

    def test_no_stuck_keys_after_disconnect(self):
        s, p = self.start_client()
        self.assertEqual(p.command("keydown 2a"), "ok")
        s.expect("key pressed 42")
        p.close()
        self.assertEqual(s.expect("key released 42").split()[2], "42")


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
