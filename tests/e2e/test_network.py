"""End-to-end: spice-wl's own listening sockets. Half-open connection floods
under a 1024-descriptor limit, failed logins logged with the peer address and
penalized, and the unix socket's mode, refusal to replace files, and removal
at exit."""

import os
import re
import resource
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import harness
from harness import PATTERNS, TEST_CLIENT, Session, SessionTestCase, quadrant_points
import spice_link

FLOOD = 700
FD_LIMIT = 1024


def limit_fds():
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wayland_roundtrip(runtime_dir, timeout=5.0):
    """A bare Wayland client: wl_display.sync and wait for its done."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(os.path.join(runtime_dir, "wayland-0"))
        s.sendall(struct.pack("<III", 1, (12 << 16) | 0, 2))
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                raise AssertionError("the compositor closed the Wayland connection")
            data += chunk
            while len(data) >= 8:
                obj, size_op = struct.unpack("<II", data[:8])
                size = size_op >> 16
                if len(data) < size:
                    break
                if obj == 2 and size_op & 0xffff == 0:
                    return
                data = data[size:]


class NetworkTests(SessionTestCase):

    def test_half_open_flood(self):
        """700 connections that send two bytes and stall, from one source, under a
        1024-descriptor limit: a client from another address is still served within
        a second, Wayland clients connect, spice-wl does not spin or flood its log."""
        self.flood(["127.0.0.2"])

    def test_half_open_flood_from_many_sources(self):
        """The same 700 from 100 addresses, 7 each: no source reaches its own bound,
        all together exceed the total one, and the client still gets in."""
        self.flood([f"127.0.0.{i}" for i in range(2, 102)])

    def flood(self, sources):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < FLOOD + 200:
            self.skipTest("the test itself needs more descriptors")
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, FLOOD + 200), hard))
        s = self.start(["--size", "320x240"], [TEST_CLIENT], password="pw",
                       env={"SPICE_WL_PASSWORD": "pw"}, preexec=limit_fds)
        s.expect("ready 320 240")
        log_before = len(s.stderr())
        cpu_before, wall_before = cpu_seconds(s.proc.pid), time.monotonic()
        flood = []
        try:
            for _ in range(FLOOD):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                flood.append(c)
                c.bind((sources[len(flood) % len(sources)], 0))
                c.connect(("127.0.0.1", s.port))
                c.sendall(b"RE")
            start = time.monotonic()
            self.assertEqual(spice_link.login("127.0.0.1", s.port, "pw"), spice_link.OK)
            self.assertLess(time.monotonic() - start, 1.0, "login took too long")
            p = harness.ProbeSession(s.probe_args(), s.probe_env())
            self._swl_open.append(p)
            p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[0]))
            wayland_roundtrip(s.runtime_dir)
            cpu = cpu_seconds(s.proc.pid) - cpu_before
            wall = time.monotonic() - wall_before
            self.assertLess(cpu, 0.5 * wall + 0.5,
                            f"spice-wl used {cpu:.2f} s CPU in {wall:.2f} s of flood")
            grown = len(s.stderr()) - log_before
            self.assertLess(grown, 1 << 20, "the log grew by more than 1 MB")
            print(f"flood: {FLOOD} half-open, login served, spice-wl CPU {cpu:.2f} s in "
                  f"{wall:.2f} s, log +{grown} bytes")
        finally:
            for c in flood:
                c.close()

    def test_failed_logins_logged_and_penalized(self):
        s = self.start(["--size", "320x240"], password="pw", env={"SPICE_WL_PASSWORD": "pw"})
        for _ in range(4):
            self.assertEqual(spice_link.login("127.0.0.1", s.port, "wrong"),
                             spice_link.PERMISSION_DENIED)
        s.wait_stderr("spice-wl: penalizing 127.0.0.1 for 2 s after 4 failed logins")
        lines = re.findall(r"spice-wl: authentication failed for (\S+) port (\d+)", s.stderr())
        self.assertEqual(len(lines), 4, s.stderr())
        self.assertTrue(all(host == "127.0.0.1" for host, _ in lines))
        # The right password from the penalized source is refused ...
        with self.assertRaises(ConnectionError):
            spice_link.login("127.0.0.1", s.port, "pw")
        # ... while another source logs in.
        self.assertEqual(spice_link.login("127.0.0.1", s.port, "pw", source="127.0.0.2"), spice_link.OK)
        # After the penalty the source is let in again.
        deadline = time.monotonic() + 10
        while True:
            try:
                self.assertEqual(spice_link.login("127.0.0.1", s.port, "pw"), spice_link.OK)
                break
            except ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def test_login_grace_time(self):
        """A connection that stalls in the handshake is closed after the grace time
        and counts as a failed login, with its address in the log."""
        s = self.start(["--size", "320x240", "--login-grace-time", "1"], password="pw",
                       env={"SPICE_WL_PASSWORD": "pw"})
        with socket.create_connection(("127.0.0.1", s.port)) as c:
            local_port = c.getsockname()[1]
            c.sendall(b"RE")
            c.settimeout(10)
            start = time.monotonic()
            self.assertEqual(c.recv(4096), b"", "the stalled connection was not closed")
            waited = time.monotonic() - start
        self.assertGreater(waited, 0.8)
        s.wait_stderr(f"spice-wl: authentication failed for 127.0.0.1 port {local_port} "
                      "(login grace time exceeded)")
        self.assertEqual(spice_link.login("127.0.0.1", s.port, "pw"), spice_link.OK)

    def test_exempt_loopback(self):
        s = self.start(["--size", "320x240", "--exempt-loopback"], password="pw",
                       env={"SPICE_WL_PASSWORD": "pw"})
        for _ in range(6):
            self.assertEqual(spice_link.login("127.0.0.1", s.port, "wrong"),
                             spice_link.PERMISSION_DENIED)
        self.assertEqual(spice_link.login("127.0.0.1", s.port, "pw"), spice_link.OK)
        self.assertNotIn("penalizing", s.stderr())


class UnixSocketTests(SessionTestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="swl-sock-")
        self.path = os.path.join(self.dir, "spice.sock")

    def start_unix(self, extra=(), preexec=None):
        return self.start(["--listen", f"unix:{self.path}", "--size", "320x240"] + list(extra),
                          [TEST_CLIENT], preexec=preexec)

    def refused(self):
        s = Session(["--listen", f"unix:{self.path}"], [TEST_CLIENT])
        self._swl_open.append(s)
        self.assertNotEqual(s.wait_exit(), 0)
        self.assertIn(f"refusing to replace {self.path}", s.stderr())
        return s

    def test_private_under_umask_0(self):
        s = self.start_unix(preexec=lambda: os.umask(0))
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o600)
        s.expect("ready 320 240")
        p = harness.ProbeSession([harness.PROBE, "--unix", self.path], s.probe_env())
        self._swl_open.append(p)
        p.assert_pixels(self, zip(quadrant_points(0, 0, 320, 240), PATTERNS[0]))

    def test_listen_mode(self):
        self.start_unix(["--listen-mode", "0660"], preexec=lambda: os.umask(0o077))
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o660)

    def test_regular_file_not_replaced(self):
        with open(self.path, "w") as f:
            f.write("precious\n")
        self.refused()
        with open(self.path) as f:
            self.assertEqual(f.read(), "precious\n")

    def test_live_socket_not_replaced(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as live:
            live.bind(self.path)
            live.listen()
            self.refused()
            self.assertTrue(os.path.exists(self.path))

    def test_stale_socket_replaced_and_removed_at_exit(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
            stale.bind(self.path)  # bound, never listening: what a crash leaves
        s = self.start_unix()
        self.assertTrue(os.path.exists(self.path))
        s.proc.send_signal(signal.SIGTERM)
        s.wait_exit()
        self.assertFalse(os.path.exists(self.path))


if __name__ == "__main__":
    unittest.main()
