"""The workloads: each a Workload class that says what it starts on a
target, how the display settles and what happens in the measured window,
and which targets it applies to. WORKLOAD_CLASSES is the order of the
report."""

import os
import statistics
import subprocess
import threading
import time

from .common import HERE, PY, SIZE, TYPING_RATE, TYPING_TEXT, log
from .processes import lines
from .targets import TARGET_BY_NAME

SCROLL_GEN = r"""
import hashlib, os, sys, time
trigger, seconds, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
while not os.path.exists(trigger):
    time.sleep(0.02)
start = time.monotonic()
n = 0
out = sys.stdout
while time.monotonic() - start < seconds:
    due = int((time.monotonic() - start) * rate) + 1
    lines = []
    while n < due:
        n += 1
        h = hashlib.sha1(str(n).encode()).hexdigest()
        lines.append(f"line {n:07d} {h} {time.monotonic_ns() % 1000000000:09d}\n")
    out.write("".join(lines))
    out.flush()
    time.sleep(0.01)
time.sleep(100000)
"""

XTERM = ["xterm", "-geometry", "80x24+0+0", "-fa", "Monospace", "-fs", "12"]
FOOT = ["foot", "-o", "font=Monospace:size=12"]
WESTON_TERMINAL = ["weston-terminal"]
# GTK without the accessibility bus or dconf (neither runs here).
GTK_ENV = {"NO_AT_BRIDGE": "1", "GTK_A11Y": "none", "GSETTINGS_BACKEND": "memory"}
# GTK's Python bindings are Debian's (python3-gi): a python3 found first on
# PATH (pyenv, a venv) running the bench may not have them.
GTK_PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else PY


class Workload:
    """One workload: what it starts on a target, how it settles, what it does
    in the measured window. Subclasses set the class attributes and override
    launch() and act()."""

    name = ""
    doc = ""
    wayland = False     # a Wayland-native application (no XSpice)
    animation = False   # never quiet: settle by time from the first frame
    client = True       # a display client connected
    spice_wl_policy = None  # window policy option for spice-wl targets, if not --desktop
    alive_check = False  # the application must survive the window
    copies = False      # shows what copies save: also on a target's copies_only variants
    triggered = False   # the application waits for go() (self.trigger) to start
    plot_bytes = True   # in the display bytes plot (not the idle and latency ones)

    def __init__(self, ctx, target, quick):
        self.ctx = ctx
        self.t = target
        self.quick = quick
        self.W = 3.0 if quick else 10.0
        self.extra = {}
        self.title = f"bench-{self.name}"

    @classmethod
    def applies(cls, target_name):
        target = TARGET_BY_NAME[target_name]
        if target_name in target.copies_only:
            return cls.copies
        return target.wayland or not cls.wayland

    def launch(self, client):
        raise NotImplementedError

    def settle(self, client):
        if self.animation:
            time.sleep(1.5)
        elif client is not None:
            if client.cmd("quiet 500 15000", 20) != "ok":
                log("bench:   (display did not settle within 15 s)")
        else:
            time.sleep(3.0)

    def act(self, client, m):
        """The measured window; returns the closing snapshot."""
        if self.triggered:
            self.go()
        time.sleep(self.W)
        return m.snap()

    # helpers -------------------------------------------------------------
    def wait_first_frame(self, client, before, timeout=30):
        """Waits until the client saw an update after `before` (its stats):
        a Wayland application has no window to search for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if client.stats()["display_updates"] > before["display_updates"]:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: the application showed nothing in {timeout} s")

    def start_wayland(self, client, args, env=None, **kw):
        before = client.stats()
        p = self.t.run_client(args, env=env, **kw)
        self.wait_first_frame(client, before)
        return p

    def scroll_gen(self):
        self.trigger = os.path.join(self.t.tmp, "go")
        gen = os.path.join(self.t.tmp, "scrollgen.py")
        with open(gen, "w") as f:
            f.write(SCROLL_GEN)
        os.chmod(gen, 0o644)
        return [PY, gen, self.trigger, str(self.W + 2), "300"]

    def go(self):
        open(self.trigger, "w").close()


class Typing(Workload):
    """Types TYPING_TEXT into the application at TYPING_RATE (a key press and
    release per character): the window is the typing time."""

    alive_check = True

    def type_text(self, client):
        n = int(self.W * TYPING_RATE) if self.quick else 600
        start = time.monotonic()
        for i in range(n):
            ch = TYPING_TEXT[i % len(TYPING_TEXT)]
            if self.t.kind == "spice" and ch == " ":
                client.cmd("key 39")
            else:
                client.cmd("type " + ch)
            delay = start + (i + 1) / TYPING_RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        client.cmd("quiet 300 3000", 10)
        self.extra["chars"] = n

    def act(self, client, m):
        self.type_text(client)
        return m.snap()


class XtermTyping(Typing):
    name = "typing"
    doc = "600 characters at 33/s into xterm (`cat`), one key press+release each."

    def launch(self, client):
        self.t.run_client(XTERM + ["-title", self.title, "-e", "cat"])
        self.t.focus(self.t.find_window(self.title))


class IdleClient(XtermTyping):
    name = "idle-client"
    doc = "xterm on screen, nothing changes, client connected."
    plot_bytes = False

    def act(self, client, m):
        return Workload.act(self, client, m)


class IdleNoClient(IdleClient):
    name = "idle-noclient"
    doc = "xterm on screen, nothing changes, no client connected."
    client = False


class Latency(XtermTyping):
    name = "latency"
    doc = ("key press ('a') into xterm → first display update at the client; 40 "
           "presses, each after 200 ms without updates.")
    plot_bytes = False

    def act(self, client, m):
        n = 10 if self.quick else 40
        line = client.cmd(f"latency {n} 2000", n * 8 + 30)
        if not line.startswith("latency "):
            raise RuntimeError(f"latency: {line}")
        kv = dict(x.split("=") for x in line.split()[1:])
        self.extra["latency_median_ms"] = float(kv["median_ms"])
        self.extra["latency_p90_ms"] = float(kv["p90_ms"])
        self.extra["latency_samples"] = int(kv["n"])
        return m.snap()


class XtermScroll(Workload):
    name = "scroll"
    doc = "xterm printing 300 unique lines/s (line number, SHA-1, nanoseconds)."
    copies = True
    triggered = True

    def launch(self, client):
        self.t.run_client(XTERM + ["-title", self.title, "-e"] + self.scroll_gen())
        self.t.find_window(self.title)


class Drag(Workload):
    name = "drag"
    doc = ("a 200x200 xlogo moved 30 times/s along a fixed path across the screen "
           "(X ConfigureWindow; on sway: IPC `move position`).")

    copies = True

    def launch(self, client):
        self.t.run_client(["xlogo", "-geometry", "200x200+0+0", "-title", self.title])
        self.wid = self.t.find_window(self.title)

    def act(self, client, m):
        mv = self.t.mover(self.wid, self.title, self.W + 0.5)
        time.sleep(self.W)
        b = m.snap()
        if isinstance(mv, threading.Event):
            mv.wait(5)
        return b


class XbenchAnim(Workload):
    animation = True

    def launch(self, client):
        p = self.t.run_client([self.ctx.xbench, self.mode], stdout=subprocess.PIPE)
        out = lines(p, "xbench")
        out.wait_for(lambda l: l == "mapped", 30)
        out.drain()


class AnimSmall(XbenchAnim):
    name = "anim-small"
    mode = "square"
    doc = ("X11 client (bench/xbench.c): 64x64 square moving 8 px/frame at 30 "
           "frames/s over a static full-screen pattern (PutImage).")


class AnimFull(XbenchAnim):
    name = "anim-full"
    mode = "video"
    doc = ("X11 client (bench/xbench.c): a new full-screen 1280x800 image 30 "
           "times/s (smooth moving colour fields, video-like).")


class AnimSmallWl(Workload):
    name = "anim-small-wl"
    doc = ("Wayland test client `swl-test-client --animate` (paced by the "
           "compositor's frame callbacks, so the frame rate differs by target).")
    wayland = True
    animation = True

    def launch(self, client):
        p = self.t.run_client([self.ctx.test_client, "--animate", "--size",
                               f"{SIZE[0]}x{SIZE[1]}", "--title", self.title],
                              stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        out = lines(p, "swl-test-client")
        out.wait_for(lambda l: l.startswith("ready"), 30)
        out.drain()


class FootTyping(Typing):
    name = "typing-foot"
    doc = "600 characters at 33/s into foot (`cat`; Wayland, damages whole rows)."
    wayland = True
    app = FOOT + ["cat"]

    def launch(self, client):
        self.start_wayland(client, self.app)


class WestonTerminalTyping(FootTyping):
    name = "typing-weston-terminal"
    doc = "600 characters at 33/s into weston-terminal (`cat`; Wayland)."
    app = WESTON_TERMINAL + ["--shell=/bin/cat"]


class FootPrint(Workload):
    name = "print-foot"
    doc = "foot printing 300 unique lines/s (the `scroll` generator; Wayland)."
    wayland = True
    triggered = True

    def launch(self, client):
        self.start_wayland(client, FOOT + self.scroll_gen())


class GtkTyping(FootTyping):
    name = "gtk-typing"
    doc = ("600 characters at 33/s into a GTK3 text view (bench/gtkbench.py text, "
           "800x600; Wayland).")

    def launch(self, client):
        self.start_wayland(client, [GTK_PY, os.path.join(HERE, "gtkbench.py"), "text"],
                           env=GTK_ENV)


class GtkScroll(Workload):
    name = "gtk-scroll"
    doc = ("a GTK3 list of 5000 rows scrolled 12 px 30 times/s (bench/gtkbench.py "
           "list, 800x600; Wayland).")
    wayland = True
    triggered = True

    def launch(self, client):
        self.trigger = os.path.join(self.t.tmp, "go")
        self.start_wayland(client, [GTK_PY, os.path.join(HERE, "gtkbench.py"), "list",
                                    self.trigger, str(self.W + 2)], env=GTK_ENV)


class AnimShm(Workload):
    name = "anim-shm"
    doc = "weston-presentation-shm: a 250x250 shm animation at the compositor's pace (Wayland)."
    wayland = True
    animation = True
    app = ["weston-presentation-shm"]

    def launch(self, client):
        self.start_wayland(client, self.app)


class AnimEgl(Workload):
    name = "anim-egl"
    doc = ("weston-simple-egl -f: a full-screen GL animation on llvmpipe (Wayland); "
           "client fps = frames the client received per second (SPICE: display "
           "invalidations, VNC: framebuffer updates), app fps = what the app drew.")
    wayland = True
    animation = True
    # spice-wl's desktop policy answers simple-egl's early set_fullscreen
    # with a 0x0 fullscreen configure, so the app stays 250x250; kiosk gives
    # it the whole screen, as sway does.
    spice_wl_policy = "--kiosk"

    def launch(self, client):
        self.out = os.path.join(self.t.tmp, "egl.out")
        self.f = open(self.out, "wb")
        os.chmod(self.out, 0o666)
        # simple-egl prints "N frames in 5 seconds: X fps" every 5 s.
        self.start_wayland(client, ["stdbuf", "-oL", "weston-simple-egl", "-f"],
                           stdout=self.f)

    def act(self, client, m):
        with open(self.out, "rb") as f:
            skip = len(f.read().splitlines())
        b = super().act(client, m)
        time.sleep(max(0.0, 5.2 - self.W % 5))  # let the period in progress print
        with open(self.out, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()[skip:]
        fps = [float(l.rsplit(":", 1)[1].split()[0]) for l in lines if "frames in" in l]
        if fps:
            self.extra["app_fps"] = round(statistics.median(fps), 1)
        return b


WORKLOAD_CLASSES = [XtermTyping, XtermScroll, Drag, AnimSmall, AnimSmallWl, AnimFull,
                    IdleClient, IdleNoClient, Latency,
                    FootTyping, FootPrint, WestonTerminalTyping, GtkTyping, GtkScroll,
                    AnimShm, AnimEgl]
WORKLOAD_BY_NAME = {w.name: w for w in WORKLOAD_CLASSES}
WORKLOADS = [w.name for w in WORKLOAD_CLASSES]
WORKLOAD_DOC = {w.name: w.doc for w in WORKLOAD_CLASSES}
X11_WORKLOADS = [w.name for w in WORKLOAD_CLASSES if not w.wayland]
WAYLAND_WORKLOADS = [w.name for w in WORKLOAD_CLASSES if w.wayland]
WORKLOAD_GROUPS = {"x11": X11_WORKLOADS, "wayland": WAYLAND_WORKLOADS}

