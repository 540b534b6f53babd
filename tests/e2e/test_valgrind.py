"""A whole session under valgrind: start, a client connects, types, copies,
resizes and leaves, SIGTERM. No memory errors and no leak from spice-wl's own
code (third-party leftovers are suppressed in tests/valgrind/spice-wl.supp,
each with its reason)."""

import os
import shutil
import signal
import sys
import tempfile
import unittest

import harness
from harness import SPICE_WL, TEST_CLIENT, SessionTestCase

SUPPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "valgrind",
                            "spice-wl.supp")


@unittest.skipUnless(shutil.which("valgrind"), "valgrind is not installed")
class ValgrindTests(SessionTestCase):

    def test_session_has_no_errors_or_leaks(self):
        logdir = tempfile.mkdtemp(prefix="swl-valgrind-")
        log = os.path.join(logdir, "valgrind.log")
        wrapper = os.path.join(logdir, "spice-wl")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\n"
                    f"exec valgrind -q --leak-check=full --show-leak-kinds=definite "
                    f"--errors-for-leak-kinds=definite --error-exitcode=99 "
                    f"--suppressions={SUPPRESSIONS} --log-file={log} {SPICE_WL} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        saved = harness.SPICE_WL
        harness.SPICE_WL = wrapper
        try:
            s = self.start(["--size", "640x480", "--keep-running"], [TEST_CLIENT])
        finally:
            harness.SPICE_WL = saved
        s.expect("ready 640 480", timeout=60)
        p = self.connect(s)
        self.assertEqual(p.command("agent 20000"), "ok")
        self.assertEqual(p.command("type hello"), "ok")
        self.assertEqual(p.command("clipboard set from the client"), "ok")
        self.assertEqual(p.command("resize 800 600 20000"), "ok 800 600")
        s.expect("ready 800 600", timeout=60)
        p.close()
        s.proc.send_signal(signal.SIGTERM)
        status = s.wait_exit(timeout=120)
        with open(log) as f:
            report = f.read()
        self.assertNotEqual(status, 99, report)
        self.assertEqual(status, 0, report)
        shutil.rmtree(logdir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
