"""End-to-end: the built-in agent — the session follows the client's window
size, and the clipboard and primary selection go both ways with Wayland
(wl-copy/wl-paste) and X11 (xclip) clients."""

import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

from harness import PATTERNS, TEST_CLIENT, SessionTestCase, quadrant_points

X11_CLIENT = os.environ.get("SWL_X11_CLIENT", "swl-x11-client")


def random_png(width, height, seed):
    """A valid RGB PNG of random pixels: about 3 bytes a pixel, as random
    data does not compress."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    rows = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    stream = bytearray()
    while len(stream) < width * height * 3:
        block = hashlib.sha256(block).digest()
        stream += block
    for y in range(height):
        rows += b"\0" + stream[y * width * 3:(y + 1) * width * 3]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(bytes(rows), 1)) + chunk(b"IEND", b""))


class AgentTests(SessionTestCase):

    def client_env(self, s, display=None):
        env = dict(os.environ, XDG_RUNTIME_DIR=s.runtime_dir, WAYLAND_DISPLAY="wayland-0")
        env.pop("DISPLAY", None)
        if display:
            env["DISPLAY"] = display
        return env

    def start_focused_x11(self):
        """A session whose X11 test client has the keyboard; and its DISPLAY.
        wlroots lets X clients set the clipboard only while an X window has
        the keyboard, as when a person copies in an X app."""
        s = self.start(["--size", "640x480"],
                       ["sh", "-c", 'echo display=$DISPLAY; exec "$0"', X11_CLIENT])
        display = s.expect("display=").split("=", 1)[1]
        s.expect("keyboard enter")
        return s, display

    def test_resize_follows_client(self):
        s = self.start(["--size", "800x600"], [TEST_CLIENT])
        s.expect("ready 800 600")
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        for w, h in ((1024, 768), (640, 480), (1366, 700)):
            with self.subTest(size=(w, h)):
                self.assertEqual(p.command(f"resize {w} {h} 10000"), f"ok {w} {h}")
                # The kiosk client is told the new size and redraws all of it.
                s.expect(f"ready {w} {h}")
                p.assert_pixels(self, zip(quadrant_points(0, 0, w, h), PATTERNS[0]))

    def test_cursor_survives_resize(self):
        s = self.start(["--size", "800x600"], [TEST_CLIENT, "--cursor"])
        s.expect("ready 800 600")
        p = self.connect(s)
        self.assertEqual(p.command("move 50 50"), "ok")
        self.assertEqual(p.command("wait-cursor 10000 16 16"), "ok")
        # A new primary surface makes spice-server reset the client's cursor;
        # spice-wl sets it again.
        self.assertEqual(p.command("resize 1024 768 10000"), "ok 1024 768")
        self.assertEqual(p.command("wait-cursor 10000 16 16"), "ok")
        self.assertEqual(p.command("cursor"), "cursor 16 16 3 5 visible=1")

    def test_resize_clamped_and_odd_width(self):
        s = self.start(["--size", "800x600", "--min-size", "400x300", "--max-size",
                        "1200x900"], [TEST_CLIENT])
        s.expect("ready 800 600")
        p = self.connect(s)
        self.assertEqual(p.command("resize 100 100 10000"), "ok 400 300")
        self.assertEqual(p.command("resize 5000 5000 10000"), "ok 1200 900")
        self.assertEqual(p.command("resize 801 599 10000"), "ok 801 599")
        s.expect("ready 801 599")
        p.assert_pixels(self, zip(quadrant_points(0, 0, 801, 599), PATTERNS[0]))

    def test_two_monitors_two_heads(self):
        s = self.start(["--size", "800x600"], [TEST_CLIENT])
        s.expect("ready 800 600")
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        self.assertEqual(p.command("resize 640 480 800 600 10000"), "ok 1440 600")
        # The heads' layout reaches the client shortly after the surface.
        want = "monitors 2 0:0,0,640x480 1:640,0,800x600"
        for _ in range(50):
            self.assertEqual(p.command("quiet 100 5000"), "ok")
            got = p.command("monitors")
            if got == want:
                break
        self.assertEqual(got, want)
        # The kiosk app spans both heads; the second head shows its right half.
        s.expect("ready 1440 600")
        p.assert_pixels(self, [((1400, 10), PATTERNS[0][1]), ((1400, 590), PATTERNS[0][3]),
                               ((10, 10), PATTERNS[0][0])])
        # A click in the client's window of the second head lands there.
        for display, (x, y), want in ((1, (10, 20), (650, 20)), (0, (30, 40), (30, 40))):
            self.assertEqual(p.command(f"move {x} {y} {display}"), "ok")
            self.assertEqual(p.command("click left"), "ok")
            s.expect("pointer button 272 pressed")
            motions = [l for l in s.out.lines if l.startswith(("pointer motion",
                                                                 "pointer enter"))]
            px, py = map(float, motions[-1].split()[2:4])
            self.assertAlmostEqual(px, want[0], delta=1.0, msg=motions[-1])
            self.assertAlmostEqual(py, want[1], delta=1.0, msg=motions[-1])
        # Back to one monitor: the second head goes away.
        self.assertEqual(p.command("resize 700 500 10000"), "ok 700 500")
        s.expect("ready 700 500")
        for _ in range(50):
            self.assertEqual(p.command("quiet 100 5000"), "ok")
            got = p.command("monitors")
            if got == "monitors 1 0:0,0,700x500":
                break
        self.assertEqual(got, "monitors 1 0:0,0,700x500")

    def test_max_heads(self):
        s = self.start(["--size", "800x600", "--max-heads", "1"], [TEST_CLIENT])
        s.expect("ready 800 600")
        p = self.connect(s)
        self.assertEqual(p.command("resize 640 480 800 600 10000"), "ok 640 480")

    def test_no_resize_pins_size(self):
        s = self.start(["--size", "800x600", "--no-resize"], [TEST_CLIENT])
        s.expect("ready 800 600")
        p = self.connect(s)
        self.assertEqual(p.command("resize 1024 768 2000"), "fail 800 600")

    def test_clipboard_wayland_both_ways(self):
        s = self.start(["--size", "640x480"], [TEST_CLIENT])
        s.expect("ready 640 480")
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        env = self.client_env(s)
        # wl-copy leaves a child serving the data: don't wait on its pipes.
        r = subprocess.run(["wl-copy", "copied in Wayland ü"], env=env, timeout=20,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(p.command("clipboard get 10000"), "text copied in Wayland ü")

        self.assertEqual(p.command("clipboard set pasted from SPICE"), "ok")
        r = subprocess.run(["wl-paste", "--no-newline"], env=env, timeout=20,
                           capture_output=True, text=True)
        self.assertEqual(r.stdout, "pasted from SPICE", r.stderr)

    def test_primary_selection_wayland(self):
        s = self.start(["--size", "640x480"], [TEST_CLIENT])
        s.expect("ready 640 480")
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        env = self.client_env(s)
        subprocess.run(["wl-copy", "--primary", "primary text"], env=env, timeout=20,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertEqual(p.command("clipboard get primary 10000"), "text primary text")
        self.assertEqual(p.command("clipboard set primary from client"), "ok")
        r = subprocess.run(["wl-paste", "--primary", "--no-newline"], env=env, timeout=20,
                           capture_output=True, text=True)
        self.assertEqual(r.stdout, "from client", r.stderr)

    def test_clipboard_x11_both_ways(self):
        s, display = self.start_focused_x11()
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        env = self.client_env(s, display)
        # xclip keeps serving the selection in the background after it returns.
        xclip = subprocess.Popen(["xclip", "-quiet", "-selection", "clipboard"],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=env)
        xclip.stdin.write(b"copied in X11")
        xclip.stdin.close()
        try:
            self.assertEqual(p.command("clipboard get 15000"), "text copied in X11")
        finally:
            xclip.kill()
            xclip.wait()

        self.assertEqual(p.command("clipboard set pasted into X"), "ok")
        r = subprocess.run(["xclip", "-o", "-selection", "clipboard"], env=env, timeout=20,
                           capture_output=True, text=True)
        self.assertEqual(r.stdout, "pasted into X", r.stderr)

    def wl_copy(self, env, args, data=None):
        # wl-copy forks a child that serves the selection and returns: don't
        # wait on its pipes.
        r = subprocess.run(["wl-copy", *args], env=env, timeout=20, input=data,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0)

    def test_selections_made_before_the_client_connects(self):
        s = self.start(["--size", "640x480"], [TEST_CLIENT])
        s.expect("ready 640 480")
        env = self.client_env(s)
        png = random_png(64, 48, "early")
        self.wl_copy(env, ["--type", "image/png"], png)
        self.wl_copy(env, ["--primary", "primary before the client"])
        out = os.path.join(tempfile.mkdtemp(prefix="swl-clip-"), "got.png")
        # Each client that connects hears of them, not only the first.
        for attempt in range(2):
            with self.subTest(connection=attempt):
                p = self.connect(s)
                self.assertEqual(p.command("agent 10000"), "ok")
                self.assertEqual(p.command(f"clipboard get-file png {out} 10000"),
                                 f"file {len(png)}")
                self.assertEqual(p.command("clipboard types"), "types 2")  # PNG alone
                with open(out, "rb") as f:
                    self.assertEqual(f.read(), png)
                self.assertEqual(p.command("clipboard get primary 10000"),
                                 "text primary before the client")
                p.close()
        # Text copied while nobody is connected, after a client left.
        self.wl_copy(env, ["copied between clients"])
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        self.assertEqual(p.command("clipboard get 10000"), "text copied between clients")

    def test_x11_selection_made_before_the_client_connects(self):
        s, display = self.start_focused_x11()
        env = self.client_env(s, display)
        xclip = subprocess.Popen(["xclip", "-quiet", "-selection", "clipboard"],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=env)
        try:
            xclip.stdin.write(b"copied in X11 before")
            xclip.stdin.close()
            # The bridge has taken it once a Wayland reader sees it.
            wenv = self.client_env(s)
            for _ in range(100):
                r = subprocess.run(["wl-paste", "--no-newline"], env=wenv, timeout=20,
                                   capture_output=True, text=True)
                if r.stdout == "copied in X11 before":
                    break
            self.assertEqual(r.stdout, "copied in X11 before", r.stderr)
            p = self.connect(s)
            self.assertEqual(p.command("agent 10000"), "ok")
            self.assertEqual(p.command("clipboard get 15000"), "text copied in X11 before")
        finally:
            xclip.kill()
            xclip.wait()

    def test_png_both_ways(self):
        """A PNG of a few MB (spice-gtk sends it in many agent chunks) goes
        byte-identical from Wayland to the client and from the client to
        Wayland and X11 apps."""
        s, display = self.start_focused_x11()
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        env = self.client_env(s)
        tmp = tempfile.mkdtemp(prefix="swl-clip-")
        png = random_png(1024, 1024, "session")
        self.assertGreater(len(png), 3 * 1024 * 1024)
        self.wl_copy(env, ["--type", "image/png"], png)
        out = os.path.join(tmp, "from-session.png")
        self.assertEqual(p.command(f"clipboard get-file png {out} 30000", timeout=40),
                         f"file {len(png)}")
        with open(out, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(),
                             hashlib.sha256(png).hexdigest())

        png2 = random_png(1000, 1100, "client")
        src = os.path.join(tmp, "from-client.png")
        with open(src, "wb") as f:
            f.write(png2)
        self.assertEqual(p.command(f"clipboard set-file png {src}"), "ok")
        r = subprocess.run(["wl-paste", "--list-types"], env=env, timeout=20,
                           capture_output=True, text=True)
        self.assertIn("image/png", r.stdout.split(), r.stderr)
        r = subprocess.run(["wl-paste", "--type", "image/png"], env=env, timeout=40,
                           capture_output=True)
        self.assertEqual(hashlib.sha256(r.stdout).hexdigest(),
                         hashlib.sha256(png2).hexdigest(), r.stderr)
        r = subprocess.run(["xclip", "-o", "-selection", "clipboard", "-t", "image/png"],
                           env=self.client_env(s, display), timeout=40, capture_output=True)
        self.assertEqual(hashlib.sha256(r.stdout).hexdigest(),
                         hashlib.sha256(png2).hexdigest(), r.stderr)
        self.assertGreaterEqual(int(p.command("clipboard served").split()[1]), 2)

    def test_no_clipboard(self):
        s = self.start(["--size", "640x480", "--no-clipboard"], [TEST_CLIENT])
        s.expect("ready 640 480")
        p = self.connect(s)
        self.assertEqual(p.command("agent 10000"), "ok")
        env = self.client_env(s)
        subprocess.run(["wl-copy", "secret"], env=env, timeout=20, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertEqual(p.command("clipboard get 2000"), "fail no grab")


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
