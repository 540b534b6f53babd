"""End-to-end: the spice-wl command line as a user meets it — errors, help,
readiness line, COMMAND's exit status, passwords, signals."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import harness
from harness import (PATTERNS, SPICE_WL, TEST_CLIENT, ProbeSession, SessionTestCase,
                     quadrant_points)


def run(args, env=None, timeout=20):
    full_env = dict(os.environ)
    full_env.pop("SPICE_WL_PASSWORD", None)
    runtime = tempfile.mkdtemp(prefix="swl-cli-")
    os.chmod(runtime, 0o700)
    full_env["XDG_RUNTIME_DIR"] = runtime
    if env:
        full_env.update(env)
    return subprocess.run([SPICE_WL] + args, capture_output=True, text=True, env=full_env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class CliTests(SessionTestCase):

    def test_bad_options_exit_2_with_one_line(self):
        cases = [
            ["--frob"],
            ["--port", "abc"],
            ["--port", "70000"],
            ["--fps", "0"],
            ["--fps", "121"],
            ["--size", "12x"],
            ["--frame-mode", "sometimes"],
            ["--image-compression", "png"],
            ["--video-codecs", "gstreamer:divx"],
            ["--kiosk", "--desktop"],
            ["--port"],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = run(["--disable-ticketing"] + args)
                self.assertEqual(r.returncode, 2, r.stderr)
                lines = r.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertTrue(lines[0].startswith("spice-wl: "), lines[0])
                self.assertEqual(r.stdout, "")

    def test_no_password_refused(self):
        r = run(["--", "true"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("password", r.stderr)

    def test_missing_password_file_named(self):
        r = run(["--password-file", "/nonexistent/pw"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/pw", r.stderr)

    def test_help_lists_options(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0)
        for opt in ("--listen", "--port", "--password-file", "--disable-ticketing", "--size",
                    "--frame-mode", "--fps", "--kiosk", "--desktop", "--keep-running",
                    "--image-compression", "--jpeg-wan-compression",
                    "--zlib-glz-wan-compression", "--streaming-video", "--video-codecs",
                    "--verbose", "--version"):
            self.assertIn(opt, r.stdout)

    def test_version(self):
        r = run(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("spice-wl "), r.stdout)

    def test_exit_status_of_command(self):
        s = self.start([], ["sh", "-c", "exit 7"])
        self.assertEqual(s.wait_exit(), 7)

    def test_command_that_cannot_start(self):
        s = self.start([], ["/nonexistent/app"])
        self.assertEqual(s.wait_exit(), 127)
        self.assertIn("/nonexistent/app", s.stderr())

    def test_keep_running_after_command_exits(self):
        s = self.start(["--keep-running"], ["sh", "-c", "echo bye"])
        s.expect("bye")
        p = self.connect(s)  # still serving after COMMAND exited
        self.assertEqual(p.command("size"), "1280 800")
        self.assertIsNone(s.proc.poll())

    def test_sigterm_shuts_down_cleanly(self):
        s = self.start([], [TEST_CLIENT])
        s.expect("ready")
        s.proc.send_signal(signal.SIGTERM)
        s.wait_exit()
        # The client was told to go away with the compositor, not left behind.
        self.assertIsNotNone(s.proc.returncode)

    def test_password_file_and_env(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("s3cret\n")
            path = f.name
        try:
            s = self.start(["--password-file", path, "--size", "320x240"], [TEST_CLIENT],
                           password="s3cret")
            s.expect("ready 320 240")
            p = self.connect(s)
            p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[0]))
            s.password = "wrong"
            r = s.probe("screenshot", "--out", os.path.join(s.runtime_dir, "x.png"),
                        "--timeout", "10")
            self.assertNotEqual(r.returncode, 0)
        finally:
            os.unlink(path)

        s = self.start(["--size", "320x240"], [TEST_CLIENT], password="envpw",
                       env={"SPICE_WL_PASSWORD": "envpw"})
        s.expect("ready 320 240")
        self.connect(s)

    def assert_one_line_exit(self, r, status, *needles):
        self.assertEqual(r.returncode, status, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("spice-wl: "), lines[0])
        for needle in needles:
            self.assertIn(needle, lines[0])

    def test_password_file_refused(self):
        d = tempfile.mkdtemp(prefix="swl-pw-")
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        path = os.path.join(d, "pw")

        def write(data, mode=0o600):
            with open(path, "wb") as f:
                f.write(data)
            os.chmod(path, mode)

        write(b"s3cret\n", 0o644)
        r = run(["--password-file", path, "--", "true"])
        self.assert_one_line_exit(r, 2, f"'{path}' has mode 0644", f"chmod 600 '{path}'")
        write(b"abc\0def\n")
        r = run(["--password-file", path, "--", "true"])
        self.assert_one_line_exit(r, 2, path, "NUL byte")
        # spice-server cuts a 60-byte password to 59, which no client matches.
        write(b"x" * 60 + b"\n")
        r = run(["--password-file", path, "--", "true"])
        self.assert_one_line_exit(r, 2, path, "60 bytes long; SPICE allows at most 59")
        r = run(["--", "true"], env={"SPICE_WL_PASSWORD": "y" * 60})
        self.assert_one_line_exit(r, 2, "SPICE_WL_PASSWORD", "60 bytes long")
        # Devices are read no further (memory grew without bound before).
        r = run(["--password-file", "/dev/zero", "--", "true"])
        self.assert_one_line_exit(r, 2, "'/dev/zero'", "not a regular file")
        r = run(["--disable-ticketing", "--config", "/dev/zero", "--", "true"])
        self.assert_one_line_exit(r, 2, "'/dev/zero'", "not a regular file")

    def test_private_password_file_used(self):
        # 59 bytes, the most SPICE matches, from a 0400 file.
        password = "p" * 58 + "!"
        d = tempfile.mkdtemp(prefix="swl-pw-")
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        path = os.path.join(d, "pw")
        with open(path, "w") as f:
            f.write(password + "\n")
        os.chmod(path, 0o400)
        s = self.start(["--password-file", path, "--size", "320x240"], [TEST_CLIENT],
                       password=password)
        s.expect("ready 320 240")
        self.connect(s)

    def test_runtime_dir_must_be_private(self):
        d = tempfile.mkdtemp(prefix="swl-rt-")
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        os.chmod(d, 0o755)
        r = run(["--disable-ticketing", "--", "true"], env={"XDG_RUNTIME_DIR": d})
        self.assert_one_line_exit(r, 1, f"XDG_RUNTIME_DIR '{d}' has mode 0755",
                                  f"chmod 700 '{d}'")
        os.chmod(d, 0o700)
        if os.geteuid() == 0:
            # Root passes every permission check: the owner is what counts.
            os.chown(d, 65534, 65534)
            r = run(["--disable-ticketing", "--", "true"], env={"XDG_RUNTIME_DIR": d})
            self.assert_one_line_exit(r, 1, f"XDG_RUNTIME_DIR '{d}' belongs to uid 65534")
            os.chown(d, 0, 0)
        # The directory is left as it was, nothing made in it.
        self.assertEqual(os.listdir(d), [])

    def test_command_does_not_inherit_password(self):
        s = self.start([], ["sh", "-c", "echo pw=${SPICE_WL_PASSWORD:-unset}; sleep 30"],
                       password="envpw", env={"SPICE_WL_PASSWORD": "envpw"})
        self.assertEqual(s.expect("pw="), "pw=unset")

    def test_unauthenticated_remote_access_refused(self):
        r = run(["--disable-ticketing", "--listen", "0.0.0.0"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--insecure-no-auth", r.stderr)

    def test_unix_socket_session(self):
        path = os.path.join(tempfile.mkdtemp(prefix="swl-sock-"), "spice.sock")
        s = self.start(["--listen", f"unix:{path}", "--size", "320x240"], [TEST_CLIENT])
        self.assertEqual(s.uri, f"spice+unix://{path}")
        s.expect("ready 320 240")
        p = ProbeSession([harness.PROBE, "--unix", path], s.probe_env())
        self._swl_open.append(p)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[0]))

    def test_view_only_ignores_input(self):
        s = self.start(["--view-only", "--size", "320x240"], [TEST_CLIENT])
        s.expect("ready 320 240")
        p = self.connect(s)
        s.expect("keyboard enter")
        self.assertEqual(p.command("type abc"), "ok")
        self.assertEqual(p.command("move 100 100"), "ok")
        self.assertEqual(p.command("click left"), "ok")
        # The client still sees the screen; nothing it typed or clicked
        # arrived. A redraw fences the check: the client has read its input.
        s.send("pattern 1")
        s.expect("drawn pattern 1")
        p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[1]))
        self.assertFalse([l for l in s.out.lines if l.startswith(("key ", "pointer button"))],
                         s.out.lines)

    def test_exit_on_disconnect(self):
        s = self.start(["--exit-on-disconnect", "--size", "320x240"], [TEST_CLIENT])
        s.expect("ready 320 240")
        p = self.connect(s)
        p.close()
        self.assertEqual(s.wait_exit(), 0)

    def test_port_in_use(self):
        s = self.start([], [TEST_CLIENT])
        r = run(["--disable-ticketing", "--port", str(s.port)])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(str(s.port), r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
