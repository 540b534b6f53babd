"""Shared helpers for spice-wl end-to-end tests.

Starts real processes (spice-wl, its COMMAND, spice-wl-probe, spicy-screenshot)
and waits on the lines they print; no test sleeps for a fixed time.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

# Line reading, ports, Xwayland lookup: shared with the benchmark.
from swlproc import DEFAULT_TIMEOUT, LineReader, free_port, xwayland_of  # noqa: F401

SPICE_WL = os.environ.get("SPICE_WL", "spice-wl")
PROBE = os.environ.get("SPICE_WL_PROBE", "spice-wl-probe")
TEST_CLIENT = os.environ.get("SWL_TEST_CLIENT", "swl-test-client")

# Quadrant colours [TL, TR, BL, BR] of the test client's patterns.
PATTERNS = {
    0: ["ff0000", "00ff00", "0000ff", "ffffff"],
    1: ["00ffff", "ff00ff", "ffff00", "000000"],
    2: ["800000", "008000", "000080", "808080"],
    3: ["ff8000", "0080ff", "80ff00", "ff0080"],
    4: ["404040", "c0c0c0", "204080", "804020"],
    5: ["10f0a0", "a010f0", "f0a010", "102030"],
    6: ["ffffff", "000000", "ff0000", "00ff00"],
    7: ["123456", "654321", "abcdef", "fedcba"],
}


def quadrant_points(x, y, w, h):
    """Centres of the four quadrants of a w x h window at (x, y)."""
    return [
        (x + w // 4, y + h // 4),
        (x + 3 * w // 4, y + h // 4),
        (x + w // 4, y + 3 * h // 4),
        (x + 3 * w // 4, y + 3 * h // 4),
    ]


class Session:
    """A running spice-wl with its COMMAND; stdout of both is one pipe."""

    def __init__(self, args, command=None, env=None, password=None, port=None, preexec=None):
        self.runtime_dir = tempfile.mkdtemp(prefix="swl-test-")
        os.chmod(self.runtime_dir, 0o700)
        self.port = port or free_port()
        self.password = password
        full_env = dict(os.environ)
        full_env["XDG_RUNTIME_DIR"] = self.runtime_dir
        full_env.pop("WAYLAND_DISPLAY", None)
        full_env.pop("DISPLAY", None)
        full_env.pop("SPICE_WL_PASSWORD", None)
        if env:
            full_env.update(env)
        cmd = [SPICE_WL, "--port", str(self.port)] + list(args)
        if password is None and "--disable-ticketing" not in args and not any(
                a.startswith("--password-file") for a in args):
            cmd.append("--disable-ticketing")
        if command:
            cmd += ["--"] + list(command)
        self.stderr_file = open(os.path.join(self.runtime_dir, "stderr.log"), "w+b")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr_file, env=full_env,
                                     start_new_session=True, preexec_fn=preexec)
        self.out = LineReader(self.proc.stdout, "spice-wl stdout")
        self.uri = None

    def wait_ready(self, timeout=DEFAULT_TIMEOUT):
        try:
            self.uri = self.out.wait_for(
                lambda l: l.startswith(("spice://", "spice+unix://")), timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}\nstderr: {self.stderr()}") from None
        return self.uri

    def send(self, line):
        """Writes a line to COMMAND's stdin (the test client reads it)."""
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def expect(self, prefix, timeout=DEFAULT_TIMEOUT, seen=False):
        """The next line starting with prefix; with seen, also lines already read."""
        if seen:
            for line in self.out.lines:
                if line.startswith(prefix):
                    return line
        return self.out.wait_for(lambda l: l.startswith(prefix), timeout)

    def stderr(self):
        self.stderr_file.flush()
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    def wait_stderr(self, text, timeout=DEFAULT_TIMEOUT):
        """Waits until spice-wl's log (stderr) contains text."""
        deadline = time.monotonic() + timeout
        while text not in self.stderr():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"'{text}' never logged; log:\n{self.stderr()}")
            time.sleep(0.05)

    def wait_exit(self, timeout=DEFAULT_TIMEOUT):
        return self.proc.wait(timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.stderr_file.close()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def probe_args(self):
        return [PROBE, "--host", "127.0.0.1", "--port", str(self.port)]

    def probe_env(self):
        env = dict(os.environ)
        env.pop("SPICE_WL_PASSWORD", None)
        if self.password is not None:
            env["SPICE_WL_PASSWORD"] = self.password
        return env

    def probe(self, *args, timeout=DEFAULT_TIMEOUT + 10):
        """Runs one probe command; returns CompletedProcess."""
        return subprocess.run(self.probe_args() + list(args), capture_output=True,
                              text=True, timeout=timeout, env=self.probe_env())

    def probe_session(self):
        return ProbeSession(self.probe_args(), self.probe_env())


class ProbeSession:
    """spice-wl-probe in session mode: one command line in, one result line out."""

    def __init__(self, args, env):
        self.proc = subprocess.Popen(args + ["session"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.out = LineReader(self.proc.stdout, "probe")
        line = self.out.wait_for(lambda l: l.startswith("connected") or
                                 l.startswith("disconnected"))
        if not line.startswith("connected"):
            raise AssertionError(f"probe could not connect: {line}")
        w, h = line.split()[1].split("x")
        self.width, self.height = int(w), int(h)

    def command(self, line, timeout=DEFAULT_TIMEOUT + 5):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        # Asynchronous notices may come before the reply.
        return self.out.wait_for(lambda l: not l.startswith("primary "), timeout)

    def wait_pixel(self, x, y, color, timeout_ms=10000):
        return self.command(f"wait-pixel {x} {y} {color} {timeout_ms}",
                            timeout_ms / 1000 + 5)

    def assert_pixels(self, test, points_colors, timeout_ms=10000):
        for (x, y), color in points_colors:
            reply = self.wait_pixel(x, y, color, timeout_ms)
            test.assertEqual(reply, "ok", f"pixel {x},{y} should be {color}: {reply}")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
                self.proc.wait(5)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass  # a "quit" still buffered for a probe that died (or was killed)
        self.proc.stdout.close()
        self.proc.stderr.close()


# The frame statistics spice-wl logs at exit.
FRAME_STATS = re.compile(r"sent (\d+) commits as (\d+) images \((\d+) pixels\), (\d+) fills "
                         r"and (\d+) copies \((\d+) pixels\)")


class SessionTestCase(unittest.TestCase):
    """Closes every session and probe a test opened, even on failure."""

    def setUp(self):
        self._swl_open = []

    def tearDown(self):
        for c in reversed(self._swl_open):
            try:
                c.close()
            except Exception:  # noqa: BLE001 - best-effort teardown
                pass

    def start(self, args, command=None, **kw):
        s = Session(args, command, **kw)
        self._swl_open.append(s)
        s.wait_ready()
        return s

    def finish_with_stats(self, s, p, path, quiet_ms=400):
        """Screenshot to path once the screen is still, stop spice-wl, and
        return (the screenshot's bytes, the exit log's frame statistics)."""
        self.assertEqual(p.command(f"quiet {quiet_ms} 20000", timeout=30), "ok")
        self.assertEqual(p.command(f"screenshot {path}"), "ok")
        s.proc.terminate()
        s.proc.wait(10)
        m = FRAME_STATS.search(s.stderr())
        self.assertIsNotNone(m, f"no stats line in the log:\n{s.stderr()[-2000:]}")
        with open(path, "rb") as f:
            return f.read(), {"commits": int(m[1]), "images": int(m[2]),
                              "image_pixels": int(m[3]), "fills": int(m[4]),
                              "copies": int(m[5]), "copied_pixels": int(m[6])}

    def connect(self, session):
        try:
            p = session.probe_session()
        except AssertionError as e:
            raise AssertionError(f"{e}\nspice-wl status: {session.proc.poll()}\n"
                                 f"spice-wl log tail:\n{session.stderr()[-2000:]}") from None
        self._swl_open.append(p)
        return p
