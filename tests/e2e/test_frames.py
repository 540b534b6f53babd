"""End-to-end: a Wayland client's pixels reach a real SPICE client, and its
updates keep arriving, in both frame modes and both window policies."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

from harness import (PATTERNS, TEST_CLIENT, SessionTestCase, quadrant_points)

MODES = [["--frame-mode", "dfps"], ["--frame-mode", "dfps", "--fps", "5"],
         ["--frame-mode", "per-op"]]


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(b"\n", 3)
    assert parts[0] == b"P6", parts[0]
    w, h = map(int, parts[1].split())
    return w, h, parts[3][:w * h * 3]


class FrameTests(SessionTestCase):

    def check_kiosk_updates(self, mode):
        s = self.start(["--size", "800x600"] + mode, [TEST_CLIENT])
        s.expect("ready 800 600")
        p = self.connect(s)
        self.assertEqual((p.width, p.height), (800, 600))
        points = quadrant_points(0, 0, 800, 600)
        p.assert_pixels(self, zip(points, PATTERNS[0]))

        # A full repaint arrives while the SPICE client stays connected.
        s.send("pattern 3")
        s.expect("drawn pattern 3")
        p.assert_pixels(self, zip(points, PATTERNS[3]))

        # A small damaged rectangle arrives, and only it changes.
        s.send("rect 300 200 40 30 123456")
        s.expect("drawn rect")
        p.assert_pixels(self, [((300, 200), "123456"), ((339, 229), "123456"),
                               ((320, 215), "123456")])
        self.assertEqual(p.command("pixel 299 200"), PATTERNS[3][0])
        self.assertEqual(p.command("pixel 340 229"), PATTERNS[3][0])
        self.assertEqual(p.command("pixel 320 230"), PATTERNS[3][0])

        # Several quick changes: the last one wins, whatever got coalesced.
        for n in (4, 5, 6, 7):
            s.send(f"pattern {n}")
        s.expect("drawn pattern 7")
        p.assert_pixels(self, zip(points, PATTERNS[7]))

    def test_kiosk_dfps(self):
        self.check_kiosk_updates(MODES[0])

    def test_kiosk_dfps_low_rate(self):
        self.check_kiosk_updates(MODES[1])

    def test_kiosk_per_op(self):
        self.check_kiosk_updates(MODES[2])

    def test_animation_keeps_updating(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                s = self.start(["--size", "640x480"] + mode, [TEST_CLIENT, "--animate"])
                s.expect("ready 640 480")
                p = self.connect(s)
                for _ in range(5):
                    self.assertEqual(p.command("wait-update 5000"), "ok")
                s.send("stats")
                frames = int(s.expect("frames ").split()[1])
                self.assertGreater(frames, 5)
                self.assertNotIn("error all buffers busy", s.out.lines)
                p.close()
                s.close()

    def test_probe_counts_video_frames(self):
        # bench/slowlink.py takes a video's delivered frame rate from the
        # probe's watch: updates that change a watched pixel. One pixel in the
        # video (480x360 at 0,40, every pixel new every frame), one outside.
        s = self.start(["--size", "640x480"], [TEST_CLIENT, "--video"])
        s.expect("ready 640 480")
        p = self.connect(s)
        self.assertTrue(p.command("watch 10").startswith("error usage"))
        self.assertEqual(p.command("watch 10 50 600 450 5000"), "error usage: watch X Y [X Y ...]")
        self.assertEqual(p.command("watch 10 50 640 450"), "error out of bounds")
        self.assertEqual(p.command("watch 10 50 600 450"), "ok")
        deadline = time.monotonic() + 20
        while True:
            stats = json.loads(p.command("stats"))
            if stats["watch"][0] >= 20:
                break
            self.assertLess(time.monotonic(), deadline, f"video frames seen: {stats}")
            self.assertEqual(p.command("wait-update 5000"), "ok")
        self.assertEqual(stats["watch"][1], 0)
        # Never more than the client drew.
        s.send("stats")
        frames = int(s.expect("frames ").split()[1])
        self.assertLessEqual(stats["watch"][0], frames)

    def test_client_connecting_late_sees_current_screen(self):
        s = self.start(["--size", "640x480"], [TEST_CLIENT])
        s.expect("ready 640 480")
        # Changes made while nobody is connected are not lost.
        s.send("pattern 2")
        s.expect("drawn pattern 2")
        s.send("rect 10 10 20 20 abcdef")
        s.expect("drawn rect")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 640, 480), PATTERNS[2]))
        p.assert_pixels(self, [((15, 15), "abcdef")])

    def test_reconnect(self):
        s = self.start(["--size", "640x480"], [TEST_CLIENT])
        s.expect("ready 640 480")
        for n in (1, 5):
            p = self.connect(s)
            s.send(f"pattern {n}")
            s.expect(f"drawn pattern {n}")
            p.assert_pixels(self, zip(quadrant_points(0, 0, 640, 480), PATTERNS[n]))
            p.close()

    def test_desktop_window_centered(self):
        s = self.start(["--desktop", "--size", "1024x768"],
                       [TEST_CLIENT, "--size", "400x300"])
        s.expect("ready 400 300")
        p = self.connect(s)
        x, y = (1024 - 400) // 2, (768 - 300) // 2
        p.assert_pixels(self, zip(quadrant_points(x, y, 400, 300), PATTERNS[0]))
        # Outside the window is the empty background.
        self.assertEqual(p.command("pixel 5 5"), "000000")

    def test_spicy_screenshot_agrees_with_probe(self):
        s = self.start(["--size", "320x240"], [TEST_CLIENT, "--pattern", "7"])
        s.expect("ready 320 240")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[7]))
        with tempfile.TemporaryDirectory() as d:
            ours = os.path.join(d, "probe.ppm")
            theirs = os.path.join(d, "spicy.ppm")
            self.assertEqual(p.command(f"screenshot {ours}"), "ok")
            r = subprocess.run(["spicy-screenshot", "-h", "127.0.0.1", "-p", str(s.port),
                                "-o", theirs], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(read_ppm(ours), read_ppm(theirs))

    def test_weston_simple_shm_buffers_released(self):
        # weston-simple-shm aborts with "Both buffers busy" if the compositor
        # holds its two shm buffers too long.
        for mode in (MODES[0], MODES[2]):
            with self.subTest(mode=mode):
                s = self.start(["--size", "640x480"] + mode, ["weston-simple-shm"])
                p = self.connect(s)
                for _ in range(30):
                    self.assertEqual(p.command("wait-update 5000"), "ok")
                self.assertIsNone(s.proc.poll(), s.stderr())
                p.close()
                s.close()


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
