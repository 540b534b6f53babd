"""End-to-end faults: SPICE clients vanishing mid-frame over and over, a
client that stops reading its socket, Wayland clients that crash or break the
protocol, a COMMAND that cannot start, and resizes while frames are in
flight. spice-wl must keep running, keep its memory bounded, leave no key or
button held, and show the current screen afterwards.

Xwayland being killed is covered by
test_xwayland.XwaylandTests.test_xwayland_killed_session_survives.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from harness import (PATTERNS, TEST_CLIENT, LineReader, SessionTestCase,
                     quadrant_points)

# The test client's moving square: 64x64, its top at height / 2 - 32.
SQUARE = 64


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def socket_queues(server_port):
    """The largest receive queue of the local TCP sockets connected to
    server_port (the SPICE client's ends: bytes it has not read) and the
    largest send queue of the server's ends (bytes the kernel could not
    deliver yet)."""
    unread = unsent = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local_port = int(fields[1].rsplit(":", 1)[1], 16)
                    remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                    tx, rx = (int(v, 16) for v in fields[4].split(":"))
                    if remote_port == server_port:
                        unread = max(unread, rx)
                    elif local_port == server_port:
                        unsent = max(unsent, tx)
        except OSError:
            continue
    return unread, unsent


def wait_until(predicate, timeout, what):
    """Polls predicate until it is true; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class FaultTests(SessionTestCase):

    def assert_screen(self, p, w, h, pattern):
        """The client shows pattern with no square: the quadrants, and the
        rows the square moves along, all of the pattern's colours."""
        colors = PATTERNS[pattern]
        points = list(zip(quadrant_points(0, 0, w, h), colors))
        top = h // 2 - SQUARE // 2
        for y, (left, right) in ((top + 4, colors[:2]), (top + SQUARE - 4, colors[2:])):
            points += [((x, y), left if x < w // 2 else right) for x in range(4, w, SQUARE // 2)]
        # An update may arrive as several draws: wait for each pixel.
        p.assert_pixels(self, points)

    def assert_alive(self, s):
        self.assertIsNone(s.proc.poll(), f"spice-wl exited; log:\n{s.stderr()[-3000:]}")

    def wayland_client(self, s, *args):
        """Another swl-test-client in the session (not COMMAND)."""
        env = dict(os.environ, XDG_RUNTIME_DIR=s.runtime_dir, WAYLAND_DISPLAY="wayland-0")
        env.pop("DISPLAY", None)
        proc = subprocess.Popen([TEST_CLIENT] + list(args), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        out = LineReader(proc.stdout, "second client")

        def cleanup():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for f in (proc.stdin, proc.stdout, proc.stderr):
                f.close()
        self.addCleanup(cleanup)
        return proc, out

    # a. ---------------------------------------------------------------------

    def check_reconnects(self, mode, count):
        w, h = 640, 480
        s = self.start(["--size", f"{w}x{h}"] + mode, [TEST_CLIENT, "--animate"])
        s.expect(f"ready {w} {h}")
        for i in range(count):
            p = self.connect(s)
            # Frames are flowing: the client goes away in the middle of them.
            self.assertEqual(p.command("wait-update 5000"), "ok", f"reconnect {i}")
            if i % 10 == 3:
                # A key held when the client vanishes is released for the app.
                self.assertEqual(p.command("keydown 2a"), "ok")
                s.expect("key pressed 42")
            elif i % 10 == 7:
                # So is a button (the pointer is on the kiosk window).
                self.assertEqual(p.command(f"move {w // 4} {h // 4}"), "ok")
                self.assertEqual(p.command("buttondown left"), "ok")
                s.expect("pointer button 272 pressed")
            if i % 2:
                p.proc.kill()  # no goodbye: the socket just closes
                p.proc.wait()
            p.close()
            if i % 10 == 3:
                s.expect("key released 42")
            elif i % 10 == 7:
                s.expect("pointer button 272 released")
        self.assert_alive(s)

        # Stop at a known state while no client is connected: the next client
        # must see exactly it, not what earlier clients were sent.
        s.send("animate off")
        s.send("pattern 3")
        s.expect("drawn pattern 3")
        p = self.connect(s)
        self.assert_screen(p, w, h, 3)
        # And it keeps getting updates.
        s.send("pattern 6")
        s.expect("drawn pattern 6")
        self.assert_screen(p, w, h, 6)
        self.assertNotIn("error all buffers busy", s.out.lines)
        self.assert_alive(s)

    def test_reconnect_50_times_mid_frame_dfps(self):
        self.check_reconnects(["--frame-mode", "dfps"], 50)

    def test_reconnect_mid_frame_per_op(self):
        self.check_reconnects(["--frame-mode", "per-op"], 20)

    # b. ---------------------------------------------------------------------

    def full_screen_load(self, s, seconds):
        """Changes the whole screen as fast as the client draws, for seconds;
        returns how many changes, the peak RSS of spice-wl meanwhile, and the
        largest socket queues seen (see socket_queues)."""
        peak = unread = unsent = 0
        n = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            n += 1
            s.send(f"pattern {n % 8}")
            s.expect(f"drawn pattern {n % 8}")
            peak = max(peak, rss_kb(s.proc.pid))
            if n % 16 == 0:
                queues = socket_queues(s.port)
                unread, unsent = max(unread, queues[0]), max(unsent, queues[1])
        return n, peak, unread, unsent

    def check_stalled_client(self, mode):
        w, h = 1024, 768
        # Under AddressSanitizer, freed memory waits in a quarantine (256 MB
        # by default) and counts in RSS: keep it small enough not to hide
        # growth of our own.
        env = {}
        if "ASAN_OPTIONS" in os.environ:
            env["ASAN_OPTIONS"] = os.environ["ASAN_OPTIONS"] + ":quarantine_size_mb=4"
        # Uncompressed images: the test's patterns compress to almost nothing
        # (zlib over GLZ), and the client's socket must really fill.
        s = self.start(["--size", f"{w}x{h}", "--image-compression", "off"] + mode,
                       [TEST_CLIENT, "--animate"], env=env)
        s.expect(f"ready {w} {h}")
        p = self.connect(s)
        # The same load with a client that reads gives the working set
        # (buffers, encoder, allocator arenas): the baseline.
        _, reading_peak, _, _ = self.full_screen_load(s, 2.0)
        s.send("pattern 1")
        s.expect("drawn pattern 1")
        p.assert_pixels(self, zip(quadrant_points(0, 0, w, h), PATTERNS[1]))

        # The client stops reading: its socket buffer fills up and spice-server
        # can send nothing more, while the screen keeps changing completely.
        os.kill(p.proc.pid, signal.SIGSTOP)
        try:
            s.send("stats")
            before = int(s.expect("frames ").split()[1])
            n, stalled_peak, unread, unsent = self.full_screen_load(s, 6.0)
            s.send("stats")
            frames = int(s.expect("frames ").split()[1]) - before
        finally:
            os.kill(p.proc.pid, signal.SIGCONT)
        # Each change is a 3 MB frame: kept, they would need gigabytes.
        self.assertGreater(n, 100, "too few screen changes to prove anything")
        self.assertGreater(frames, 100)
        # The stall was real: data waits unread at the client, and more that
        # the kernel cannot deliver at the server.
        self.assertGreater(unread, 32 * 1024, "the client's socket never filled up")
        self.assertGreater(unsent, 0, "the server's socket never backed up")
        growth_mb = (stalled_peak - reading_peak) / 1024
        print(f"\n{' '.join(mode)}: {n} full-screen changes ({frames} commits) in 6 s "
              f"stalled, {unread // 1024} KB unread, {unsent // 1024} KB unsent; RSS peak "
              f"{reading_peak // 1024} MB reading, {stalled_peak // 1024} MB stalled",
              file=sys.stderr)
        self.assertLess(growth_mb, 32, f"a stalled client made RSS grow {growth_mb:.0f} MB "
                        f"({n} full-screen changes)")
        self.assert_alive(s)

        # Small changes that do not cover each other: spice-server cannot
        # drop one for a later one that hides it, so they all wait for the
        # client. None may be lost.
        s.send("animate off")
        os.kill(p.proc.pid, signal.SIGSTOP)
        try:
            cells = self.scattered_rects(s, w, h, passes=3)
        finally:
            os.kill(p.proc.pid, signal.SIGCONT)
        p.assert_pixels(self, cells.items())
        self.assert_alive(s)

        # Once reading again, the stalled client catches up with the current
        # screen, and a new client sees it too.
        s.send("pattern 5")
        s.expect("drawn pattern 5")
        self.assert_screen(p, w, h, 5)
        p2 = self.connect(s)
        self.assert_screen(p2, w, h, 5)
        self.assert_alive(s)

    def scattered_rects(self, s, w, h, passes):
        """Fills a grid of 32x32 cells one rectangle (one commit) at a time,
        in an order that jumps around, passes times with new colours;
        returns {centre of each cell: its last colour}."""
        cols, rows = w // 32, h // 32
        order = [(i * 37) % (cols * rows) for i in range(cols * rows)]  # 37: coprime
        last = {}
        for n in range(passes):
            for cell in order:
                x, y = cell % cols * 32, cell // cols * 32
                color = f"{(n * 85) % 256:02x}{cell % 256:02x}{(cell // 256) * 60 + 20:02x}"
                s.send(f"rect {x} {y} 32 32 {color}")
                last[(x + 16, y + 16)] = color
        for _ in range(passes * len(order)):
            s.expect("drawn rect")
        return last

    def test_stalled_client_memory_bounded_per_op(self):
        self.check_stalled_client(["--frame-mode", "per-op"])

    def test_stalled_client_memory_bounded_dfps(self):
        self.check_stalled_client(["--frame-mode", "dfps"])

    # c. ---------------------------------------------------------------------

    def test_wayland_client_killed_mid_animation(self):
        w, h = 640, 480
        s = self.start(["--size", f"{w}x{h}"], [TEST_CLIENT, "--pattern", "2"])
        s.expect(f"ready {w} {h}")
        p = self.connect(s)
        s.expect("keyboard enter")
        # A second client on top (kiosk: newest on top), animating, with the
        # keyboard focus and a key held.
        proc, out = self.wayland_client(s, "--animate", "--pattern", "4")
        out.wait_for(lambda l: l.startswith(f"ready {w} {h}"))
        s.expect("keyboard leave")
        p.assert_pixels(self, zip(quadrant_points(0, 0, w, h), PATTERNS[4]))
        out.wait_for(lambda l: l == "keyboard enter")
        self.assertEqual(p.command("keydown 1e"), "ok")
        out.wait_for(lambda l: l.startswith("key pressed 30"))
        self.assertEqual(p.command("wait-update 5000"), "ok")
        proc.kill()
        proc.wait()

        # The first client shows again, gets the focus and works.
        p.assert_pixels(self, zip(quadrant_points(0, 0, w, h), PATTERNS[2]))
        s.expect("keyboard enter")
        self.assertEqual(p.command("keyup 1e"), "ok")
        self.assertEqual(p.command("key 30"), "ok")
        s.expect("key pressed 48")
        s.send("pattern 6")
        s.expect("drawn pattern 6")
        self.assert_screen(p, w, h, 6)
        self.assert_alive(s)

    def test_wayland_client_protocol_error(self):
        w, h = 640, 480
        s = self.start(["--size", f"{w}x{h}"], [TEST_CLIENT, "--pattern", "2"])
        s.expect(f"ready {w} {h}")
        p = self.connect(s)
        s.expect("keyboard enter")
        proc, out = self.wayland_client(s, "--animate", "--pattern", "4")
        out.wait_for(lambda l: l.startswith(f"ready {w} {h}"))
        s.expect("keyboard leave")
        p.assert_pixels(self, zip(quadrant_points(0, 0, w, h), PATTERNS[4]))
        proc.stdin.write(b"protocol-error\n")
        proc.stdin.flush()
        out.wait_for(lambda l: l == "protocol-error sent")
        # spice-wl disconnects the offender with the error...
        self.assertEqual(proc.wait(20), 1)
        err = proc.stderr.read().decode()
        self.assertIn("protocol error", err)
        self.assertIn("xdg_", err)
        # ...and nobody else notices.
        p.assert_pixels(self, zip(quadrant_points(0, 0, w, h), PATTERNS[2]))
        s.expect("keyboard enter")
        s.send("pattern 7")
        s.expect("drawn pattern 7")
        self.assert_screen(p, w, h, 7)
        self.assertEqual(p.command("key 30"), "ok")
        s.expect("key pressed 48")
        # A new client works as well.
        proc2, out2 = self.wayland_client(s, "--pattern", "5")
        out2.wait_for(lambda l: l.startswith(f"ready {w} {h}"))
        p.assert_pixels(self, zip(quadrant_points(0, 0, w, h), PATTERNS[5]))
        self.assert_alive(s)

    # d. ---------------------------------------------------------------------

    def check_cannot_start(self, command, reason, args=()):
        s = self.start(list(args), command)  # ready: the port was up first
        self.assertEqual(s.wait_exit(), 127)
        lines = [l for l in s.stderr().splitlines() if command[0] in l]
        self.assertEqual(lines, [f"spice-wl: cannot run '{command[0]}': {reason}"])
        # Nothing is left listening on the port.
        r = self.start([], ["sh", "-c", "exit 3"], port=s.port)
        self.assertEqual(r.wait_exit(), 3)

    def test_command_not_found(self):
        self.check_cannot_start(["/nonexistent/app", "--flag"], "No such file or directory")

    def test_command_not_executable(self):
        with tempfile.NamedTemporaryFile(prefix="swl-not-exec-") as f:
            self.check_cannot_start([f.name], "Permission denied")

    def test_command_not_found_keep_running(self):
        # --keep-running keeps a session whose COMMAND ended, not one whose
        # COMMAND never started: that is a start-up error.
        self.check_cannot_start(["no-such-program-swl"], "No such file or directory",
                                ["--keep-running"])

    def test_command_killed_by_signal(self):
        s = self.start([], ["sh", "-c", "kill -KILL $$"])
        self.assertEqual(s.wait_exit(), 128 + signal.SIGKILL)

    # e. ---------------------------------------------------------------------

    def check_resizes_in_flight(self, mode):
        s = self.start(["--size", "800x600"] + mode, [TEST_CLIENT, "--animate"])
        s.expect("ready 800 600")
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        self.assertEqual(p.command("wait-update 5000"), "ok")
        # 20 monitors configs back to back (a 1 ms timeout: the probe does not
        # wait for each), while the client animates.
        sizes = [(640 + 16 * i, 480 + 8 * (i % 5)) for i in range(20)]
        for w, h in sizes:
            reply = p.command(f"resize {w} {h} 1")
            self.assertTrue(reply.startswith(("ok", "fail")), reply)
        # The last one wins. (The probe's 'ok' may come from a surface made
        # for an earlier config: wait for the client and the surface.)
        w, h = 1000, 700
        self.assertTrue(p.command(f"resize {w} {h} 10000").startswith("ok"))
        s.expect(f"ready {w} {h}")
        wait_until(lambda: p.command("size") == f"{w} {h}", 10, f"a {w}x{h} surface")
        s.send("animate off")
        s.send("pattern 1")
        s.expect("drawn pattern 1")
        self.assert_screen(p, w, h, 1)
        # A new client sees the final size and screen as well.
        p2 = self.connect(s)
        self.assertEqual((p2.width, p2.height), (w, h))
        self.assert_screen(p2, w, h, 1)
        self.assertNotIn("error all buffers busy", s.out.lines)
        self.assert_alive(s)

    def test_resizes_while_frames_in_flight_dfps(self):
        self.check_resizes_in_flight(["--frame-mode", "dfps"])

    def test_resizes_while_frames_in_flight_per_op(self):
        self.check_resizes_in_flight(["--frame-mode", "per-op"])


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
