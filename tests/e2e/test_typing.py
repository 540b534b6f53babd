"""End-to-end: typing into Wayland terminals that damage whole rows (foot,
weston-terminal) reaches the client pixel for pixel, in every frame mode,
as glyphs rather than rows. spice-wl sends only what changed against what
the client shows (backend/diff.c); a wrong cut would leave stale pixels on
the client. The reference is the same text printed by the terminal at once
in a session of its own: the typed screen must equal it exactly. Each key
waits for its update, so frames are per key in every mode, and the typed
session must send far fewer image pixels per key than a terminal row."""

import json
import os
import shutil
import tempfile
import time
import unittest

from harness import SessionTestCase


# Longer than a line of either terminal at 640 pixels, so it wraps; letters
# and spaces only, which the probe's "type" and printf render alike.
TEXT = "the quick brown fox jumps over the lazy dog while only the glyphs that change go out "
WIDTH, HEIGHT = 640, 480
# A terminal row is 640 pixels wide and at least 15 high: whole rows would be
# over 9600 pixels a key, a glyph and the cursor cell a few hundred.
MAX_PIXELS_PER_KEY = 2000

MODES = [["--frame-mode", "auto"], ["--frame-mode", "dfps"], ["--frame-mode", "per-op"]]


class TypingTests(SessionTestCase):

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="swl-typing-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # The reference prints TEXT, then behaves as the typed session's cat.
        self.printer = os.path.join(self.tmp, "print-then-cat")
        with open(self.printer, "w") as f:
            f.write(f"#!/bin/sh\nprintf '%s' '{TEXT}'\nexec cat\n")
        os.chmod(self.printer, 0o755)

    def key_and_update(self, p, command):
        """Sends a key and waits for the display update it causes (which may
        come before a wait-update would start: the counter tells)."""
        before = json.loads(p.command("stats"))["display_updates"]
        self.assertEqual(p.command(command), "ok")
        deadline = time.monotonic() + 10
        while json.loads(p.command("stats"))["display_updates"] == before:
            self.assertLess(time.monotonic(), deadline, f"no update after {command}")
            p.command("wait-update 100")

    def run_terminal(self, argv, mode, name, typed):
        """The still screen after the terminal printed or was typed TEXT, and
        the image pixels spice-wl sent."""
        s = self.start(["--size", f"{WIDTH}x{HEIGHT}"] + mode, argv)
        p = self.connect(s)
        # The terminal is up and drawn: the screen stops changing.
        self.assertEqual(p.command("quiet 700 20000", timeout=30), "ok")
        if typed:
            for ch in TEXT:
                self.key_and_update(p, "key 39" if ch == " " else "type " + ch)
        image, stats = self.finish_with_stats(s, p, os.path.join(self.tmp, name + ".ppm"),
                                              quiet_ms=500)
        return image, stats["image_pixels"]

    def check(self, terminal, argv):
        for mode in MODES:
            with self.subTest(mode=mode[1]):
                tag = f"{terminal}-{mode[1]}"
                printed, printed_pixels = self.run_terminal(
                    argv(self.printer), mode, tag + "-printed", False)
                typed, typed_pixels = self.run_terminal(argv("/bin/cat"), mode, tag + "-typed",
                                                        True)
                self.assertTrue(typed == printed,
                                f"{tag}: the typed screen differs from the printed one")
                self.assertLess(typed_pixels - printed_pixels, MAX_PIXELS_PER_KEY * len(TEXT),
                                f"{tag}: rows rather than glyphs sent")

    @unittest.skipUnless(shutil.which("foot"), "foot not installed")
    def test_foot(self):
        self.check("foot", lambda cmd: ["foot", "-o", "font=DejaVu Sans Mono:size=10", cmd])

    @unittest.skipUnless(shutil.which("weston-terminal"), "weston-terminal not installed")
    def test_weston_terminal(self):
        self.check("weston-terminal", lambda cmd: ["weston-terminal", "--shell=" + cmd])


if __name__ == "__main__":
    unittest.main(verbosity=2)
