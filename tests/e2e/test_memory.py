"""End-to-end: what a session's own app or a SPICE client can make spice-wl
hold stays bounded — clipboard readers that never read, and monitors configs
asking for huge layouts."""

import os
import subprocess
import sys
import unittest

from harness import TEST_CLIENT, SessionTestCase

MIB = 1024 * 1024
# Under AddressSanitizer freed memory would wait in a 256 MiB quarantine.
ASAN_ENV = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"}


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def pipe_fds(pid):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("pipe:")
        except OSError:
            pass
    return n


class ClipboardReaderTests(SessionTestCase):

    def client_env(self, s):
        env = dict(os.environ, XDG_RUNTIME_DIR=s.runtime_dir, WAYLAND_DISPLAY="wayland-0")
        env.pop("DISPLAY", None)
        return env

    def test_unread_pastes_are_bounded_and_time_out(self):
        payload = 8 * MIB
        stalled = 20
        s = self.start(["--size", "640x480"], [TEST_CLIENT], env=ASAN_ENV)
        s.expect("ready 640 480")
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        text = "0123456789abcdef" * (payload // 16)
        self.assertEqual(p.command("clipboard set " + text, timeout=60), "ok")
        env = self.client_env(s)
        pid = s.proc.pid
        rss_before, pipes_before = rss_mib(pid), pipe_fds(pid)

        # Pastes whose output nobody reads: wl-paste takes what fits in its
        # pipes and then blocks, leaving the rest with spice-wl.
        readers = []
        try:
            for i in range(stalled):
                readers.append(subprocess.Popen(["wl-paste", "--no-newline"], env=env,
                                                stdout=subprocess.PIPE,
                                                stderr=subprocess.DEVNULL))
                # One at a time, so each gets the focus and asks.
                for _ in range(200):
                    if p.command("clipboard served") == f"served {i + 1}":
                        break
                    self.assertEqual(p.command("quiet 20 1000"), "ok")
                self.assertEqual(p.command("clipboard served"), f"served {i + 1}")
            # A paste that reads: its data comes after all the others', so
            # spice-wl has taken in every payload once it is done.
            r = subprocess.run(["wl-paste", "--no-newline"], env=env, timeout=60,
                               capture_output=True)
            self.assertEqual(len(r.stdout), payload)
            rss_stalled = rss_mib(pid)
            # Unbounded, this is 20 payloads (160 MiB); the bound is 64 MiB
            # held for readers plus transient copies of one payload.
            self.assertLess(rss_stalled - rss_before, 64 + 4 * payload / MIB,
                            f"RSS {rss_before:.0f} -> {rss_stalled:.0f} MiB")
            # Readers that take nothing lose their transfer after 10 s, and
            # with it the descriptor and the memory.
            s.wait_stderr("a clipboard reader took nothing for 10 s", timeout=30)
            for _ in range(100):
                if pipe_fds(pid) <= pipes_before:
                    break
                self.assertEqual(p.command("quiet 100 1000"), "ok")
            self.assertLessEqual(pipe_fds(pid), pipes_before)
            rss_after = rss_mib(pid)
            self.assertLess(rss_after - rss_before, 2 * payload / MIB,
                            f"RSS {rss_before:.0f} -> {rss_after:.0f} MiB after the timeout")
            print(f"\nclipboard: RSS {rss_before:.0f} MiB, {rss_stalled:.0f} MiB with "
                  f"{stalled} unread {payload // MIB} MiB pastes, {rss_after:.0f} MiB after "
                  "the timeout", file=sys.stderr)
        finally:
            for reader in readers:
                reader.kill()
                reader.wait()
                reader.stdout.close()
        # A paste after all that still works, whole.
        r = subprocess.run(["wl-paste", "--no-newline"], env=env, timeout=60,
                           capture_output=True)
        self.assertEqual(r.stdout, text.encode())


class MonitorsAreaTests(SessionTestCase):
    """A monitors config larger than --max-area is scaled down evenly; spice-wl
    needs about 22 bytes per layout pixel (surfaces, scene and copies)."""

    BYTES_PER_PIXEL = 28  # a generous bound on that

    def big_layout(self, args, heads, max_area):
        s = self.start(["--size", "800x600"] + args, [TEST_CLIENT], env=ASAN_ENV)
        s.expect("ready 800 600")
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        pid = s.proc.pid
        rss_before = rss_mib(pid)
        reply = p.command("resize " + " ".join(["8192 8192"] * 16) + " 30000", timeout=60)
        self.assertTrue(reply.startswith("ok "), reply)
        width, height = map(int, reply.split()[1:3])
        self.assertLessEqual(width * height, max_area)
        self.assertGreater(width * height, max_area * 0.98)
        # Every head is scaled alike: square, side by side.
        side = height
        want = f"monitors {heads} " + " ".join(f"{i}:{i * side},0,{side}x{side}"
                                                for i in range(heads))
        for _ in range(50):
            self.assertEqual(p.command("quiet 100 5000"), "ok")
            got = p.command("monitors")
            if got == want:
                break
        self.assertEqual(got, want)
        # The kiosk app redraws at its new size (at most 8192 wide).
        s.expect("ready ", timeout=30)
        self.assertEqual(p.command("quiet 200 10000"), "ok")
        rss_after = rss_mib(pid)
        self.assertLess(rss_after - rss_before, self.BYTES_PER_PIXEL * max_area / MIB,
                        f"RSS {rss_before:.0f} -> {rss_after:.0f} MiB")
        print(f"\nmonitors {args}: 16 x 8192x8192 asked, {heads} x {side}x{side} given; "
              f"RSS {rss_before:.0f} -> {rss_after:.0f} MiB", file=sys.stderr)
        s.wait_stderr("scaled down to")

    def test_default_area(self):
        # Four heads (--max-heads), 4096x4096 each (--max-size) were 1.3 GB.
        self.big_layout([], 4, 4 * 3840 * 2160)

    def test_many_large_heads(self):
        # Sixteen 8192x8192 heads were 12.6 GB.
        self.big_layout(["--max-heads", "16", "--max-size", "8192x8192", "--max-area",
                         "3840x2160"], 16, 3840 * 2160)


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
