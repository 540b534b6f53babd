"""End-to-end: moved windows and scrolled text reach the client as copies
(QXL_COPY_BITS) and the client ends with exactly the pixels it would have got
as images. Each scenario runs twice, with copies and with --no-copy-bits, and
the two final screens must be identical; spice-wl's exit log must show copies
in the first run and none in the second."""

import os
import shutil
import tempfile
import time
import unittest

from harness import PATTERNS, SessionTestCase, quadrant_points

X11_CLIENT = os.environ.get("SWL_X11_CLIENT", "swl-x11-client")


# 60 numbered lines with a checksum each, paced so that xterm scrolls line by
# line; then it touches the file named in $1.
SCROLL_SCRIPT = ("i=0; while [ $i -lt 60 ]; do i=$((i+1)); "
                 "echo \"line $i $(echo $i | md5sum)\"; sleep 0.03; done; "
                 "echo done; touch \"$1\"; exec sleep 1000")


class CopyTests(SessionTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="swl-copies-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def finish(self, s, p, name):
        """Screenshot once the screen is still, stop spice-wl, return (image, stats)."""
        return self.finish_with_stats(s, p, os.path.join(self.tmp, name + ".ppm"))

    def drag(self, extra):
        s = self.start(["--desktop", "--size", "640x480"] + extra,
                       [X11_CLIENT, "--size", "160x120", "--position", "40,40"])
        s.expect("ready 160 120")
        p = self.connect(s)
        p.assert_pixels(self, zip(quadrant_points(40, 40, 160, 120), PATTERNS[0]))
        # Down and right, then back over where it was, as a hand would drag.
        path = [(40 + 23 * i, 40 + 17 * i) for i in range(1, 16)]
        path += [(x - 150, y - 40) for x, y in path[-6:]]
        for x, y in path:
            s.send(f"move {x} {y}")
            p.assert_pixels(self, zip(quadrant_points(x, y, 160, 120), PATTERNS[0]))
        return self.finish(s, p, "drag" + ("-nocopy" if extra else ""))

    def test_drag_sends_copies_and_the_same_pixels(self):
        with_copies, stats = self.drag([])
        without, plain = self.drag(["--no-copy-bits"])
        self.assertEqual(plain["copies"], 0)
        self.assertGreater(stats["copies"], 0)
        # Steps may share a frame, but several frames each moved the whole
        # 160x120 window.
        self.assertGreaterEqual(stats["copied_pixels"], 160 * 120 * 4)
        self.assertLess(stats["image_pixels"], plain["image_pixels"])
        self.assertTrue(with_copies == without,
                        "final screens differ between copies and images")

    def scroll(self, extra):
        name = "scroll" + ("-nocopy" if extra else "")
        marker = os.path.join(self.tmp, name + ".done")
        s = self.start(["--size", "640x480"] + extra,
                       ["xterm", "-e", "sh", "-c", SCROLL_SCRIPT, "sh", marker])
        p = self.connect(s)
        deadline = time.monotonic() + 30
        while not os.path.exists(marker):
            self.assertLess(time.monotonic(), deadline, "xterm never finished its output")
            self.assertIsNone(s.proc.poll(), "spice-wl exited")
            time.sleep(0.05)
        return self.finish(s, p, name)

    @unittest.skipUnless(shutil.which("xterm"), "xterm not installed")
    def test_scroll_sends_copies_and_the_same_pixels(self):
        with_copies, stats = self.scroll([])
        without, plain = self.scroll(["--no-copy-bits"])
        self.assertEqual(plain["copies"], 0)
        self.assertGreater(stats["copies"], 0)
        self.assertLess(stats["image_pixels"], plain["image_pixels"])
        self.assertTrue(with_copies == without,
                        "final screens differ between copies and images")


if __name__ == "__main__":
    unittest.main(verbosity=2)
