"""End-to-end: on a slow link spice-wl measures the client's link and paces a
video to it. The client connects through bench/linkemu.py (2 Mbit/s, a
64 KB bottleneck) while swl-test-client plays its 480x360 video: the link's
rate is measured from the client's sockets, flushes hold part of the video
for it, and key echoes and video frames still reach the client. With
--no-link-pacing the rate is measured and nothing is held. How fast keys
echo is the bench's business (bench/slowlink.py), not a test's."""

import json
import os
import re
import sys
import unittest

from harness import TEST_CLIENT, ProbeSession, SessionTestCase
from swlproc import wait_until

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import linkemu  # noqa: E402

MBIT = 2
RATE = MBIT * 1000 * 1000 / 8
MEASURED = re.compile(r"link \d+: delivered ([1-9]\d*) B/s")
EXIT_LINK = re.compile(r"link: delivered (\d+) B/s while backlogged.*; (\d+) flushes held")
# swl-test-client --echo-keys draws its first key's mark here, in this colour.
MARK_X, MARK_Y, MARK_COLOR = 16, 16, "2040c0"
# A pixel inside the video (at 0,40, 480x360).
VIDEO_X, VIDEO_Y = 240, 220


class SlowLinkTests(SessionTestCase):

    def run_video(self, extra):
        """A session whose client is behind the emulated link; returns the
        rate and held flushes of the exit log."""
        s = self.start(["--verbose", "--size", "800x600"] + extra,
                       [TEST_CLIENT, "--echo-keys", "--video"])
        port, stop, _ = linkemu.start(s.port, MBIT, 20)
        self.addCleanup(stop)
        args = s.probe_args()
        args[args.index("--port") + 1] = str(port)
        p = ProbeSession(args, s.probe_env())
        self._swl_open.append(p)
        self.assertEqual(p.command(f"watch {VIDEO_X} {VIDEO_Y}"), "ok")
        # The video fills the link until its rate is known.
        wait_until(lambda: MEASURED.search(s.stderr()), 60, "the link's rate measured")
        # The inputs channel may still be connecting through the slow link.
        wait_until(lambda: p.command("key 1e") == "ok", 30, "a key sent")
        self.assertEqual(p.wait_pixel(MARK_X, MARK_Y, MARK_COLOR, 20000), "ok")
        # The video keeps moving on the client.
        wait_until(lambda: json.loads(p.command("stats"))["watch"][0] >= 3, 30,
                   "video frames on the client")
        s.proc.terminate()
        s.proc.wait(10)
        m = EXIT_LINK.search(s.stderr())
        self.assertIsNotNone(m, s.stderr()[-2000:])
        return int(m[1]), int(m[2])

    def test_video_paced_to_the_link(self):
        rate, held = self.run_video([])
        # What the kernel saw delivered is the link's rate, not loopback's.
        self.assertGreater(rate, RATE * 0.6)
        self.assertLess(rate, RATE * 1.3)
        self.assertGreater(held, 0)

    def test_no_link_pacing_holds_nothing(self):
        rate, held = self.run_video(["--no-link-pacing"])
        self.assertGreater(rate, 0)
        self.assertEqual(held, 0)


if __name__ == "__main__":
    unittest.main()
