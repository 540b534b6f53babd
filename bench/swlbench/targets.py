"""The servers compared, each a Target class: spice-wl (its frame modes as
variants), XSpice (Xorg + the spiceqxl driver) and sway + wayvnc. A target
starts its server, tells which processes are the server's (what is
measured), connects the display client and runs the workload's
applications on its display."""

import json
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

from swlproc import free_port, recv_exact, pids_in_session, proc_comm, wait_until, xwayland_of

from .clients import Client
from .common import BENCH_USER, HERE, PY, SIZE, log
from .processes import as_user, lines, spawn, stop, wait_listening


def wait_for(pred, timeout, what):
    return wait_until(pred, timeout, what, error=RuntimeError)


class Target:
    """A server under test. Subclasses map their target names to what
    distinguishes them (variants) and override start()."""

    kind = "spice"      # or "vnc"
    wayland = False     # can run Wayland clients
    user = None         # run clients as this user
    variants = {}       # target name -> what sets it apart (self.variant)
    copies_only = ()    # variants that only run the workloads showing copies

    @classmethod
    def missing(cls):
        """None if the target can run here, else why not."""
        return None

    def __init__(self, name, ctx):
        self.name = name
        self.ctx = ctx
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix=f"swl-bench-{name}-")
        os.chmod(self.tmp, 0o755)
        self.display = None
        self.client_env = {}
        self.clients = []
        self.variant = self.variants[name]

    def server_pids(self):
        pids = set()
        for p in self.procs:
            pids.update(pids_in_session(p.sid))
        return sorted(pids)

    def connect(self):
        if self.kind == "spice":
            return Client([self.ctx.probe, "--host", "127.0.0.1", "--port", str(self.port),
                           "session"], f"{self.name} probe",
                          env={k: v for k, v in os.environ.items()
                               if k != "SPICE_WL_PASSWORD"})
        return Client([PY, os.path.join(HERE, "rfbclient.py"), "--port", str(self.port),
                       "--encoding", self.variant], f"{self.name} rfbclient")

    def answers(self, what):
        """Waits until the X server answers (xdotool, as the clients' user)."""
        wait_for(lambda: subprocess.run(as_user(["xdotool", "getdisplaygeometry"], self.user),
                                        env=self.env(), capture_output=True,
                                        timeout=10).returncode == 0,
                 30, what)

    def env(self):
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": self.home, "DISPLAY": self.display}
        env.update(self.client_env)
        return env

    def run_client(self, args, env=None, **kw):
        p = spawn(args, env=dict(self.env(), **(env or {})), user=self.user, **kw)
        self.clients.append(p)
        return p

    def xdotool(self, *args, timeout=20):
        r = subprocess.run(as_user(["xdotool"] + list(args), self.user), env=self.env(),
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"xdotool {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def find_window(self, title, timeout=20):
        out = self.xdotool("search", "--sync", "--onlyvisible", "--name", f"^{title}$",
                           timeout=timeout)
        return int(out.split()[0])

    def mover(self, wid, title, seconds):
        """Moves window wid along the drag path for seconds; returns a waitable."""
        return self.run_client([self.ctx.xbench, "move", str(wid), str(seconds)])

    def focus(self, wid):
        pass

    def stop(self):
        for p in reversed(self.clients):
            stop(p, 1)
        for p in reversed(self.procs):
            stop(p)
        for pid in getattr(self, "extra_kill", []):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


class SpiceWl(Target):
    wayland = True
    policy = "--desktop"    # a workload may ask for --kiosk (see AnimEgl)
    variants = {  # name -> frame mode options
        "spice-wl-auto": ["--frame-mode", "auto", "--fps", "30"],
        "spice-wl-auto-nocopy": ["--frame-mode", "auto", "--fps", "30", "--no-copy-bits"],
        "spice-wl-perop": ["--frame-mode", "per-op"],
        "spice-wl-dfps10": ["--frame-mode", "dfps", "--fps", "10"],
        "spice-wl-dfps30": ["--frame-mode", "dfps", "--fps", "30"],
    }
    copies_only = ("spice-wl-auto-nocopy",)

    def start(self):
        self.runtime = os.path.join(self.tmp, "runtime")
        os.mkdir(self.runtime, 0o700)
        self.home = self.tmp
        self.port = free_port()
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.tmp,
               "XDG_RUNTIME_DIR": self.runtime}
        cmd = [self.ctx.spice_wl, "--disable-ticketing", "--port", str(self.port),
               "--size", f"{SIZE[0]}x{SIZE[1]}", self.policy, "--keep-running",
               "--xwayland", "on"] + self.variant + [
            "--", "sh", "-c", 'echo "env $DISPLAY $WAYLAND_DISPLAY"; exec sleep 100000']
        self.log = open(os.path.join(self.tmp, "spice-wl.log"), "wb")
        p = spawn(cmd, env=env, stdout=subprocess.PIPE, stderr=self.log)
        self.procs.append(p)
        out = lines(p, "spice-wl")
        out.wait_for(lambda l: l.startswith("spice://"), 30)
        line = out.wait_for(lambda l: l.startswith("env "), 30)
        _, self.display, wl = line.split()
        self.client_env = {"XDG_RUNTIME_DIR": self.runtime, "WAYLAND_DISPLAY": wl}
        self.xwl = wait_for(lambda: xwayland_of(self.runtime), 30, "Xwayland")
        self.extra_kill = list(self.xwl)
        self.answers("Xwayland to answer")  # Xwayland is up once it answers

    def server_pids(self):
        pids = set(super().server_pids()) | set(xwayland_of(self.runtime))
        # not COMMAND (sh, sleep): it only printed DISPLAY for us
        return sorted(p for p in pids if proc_comm(p) not in ("sh", "sleep"))


XORG_CONF = """
Section "Device"
    Identifier "XSPICE"
    Driver "spiceqxl"
    Option "SpiceAddr" "127.0.0.1"
    Option "SpicePort" "{port}"
    Option "SpiceDisableTicketing" "True"
    Option "NumHeads" "1"
    Option "FrameBufferSize" "16"
    Option "SurfaceBufferSize" "128"
    Option "CommandBufferSize" "128"
    {dfps}
EndSection
Section "InputDevice"
    Identifier "XSPICE POINTER"
    Driver     "xspice pointer"
EndSection
Section "InputDevice"
    Identifier "XSPICE KEYBOARD"
    Driver     "xspice keyboard"
EndSection
Section "Monitor"
    Identifier "Configured Monitor"
EndSection
Section "Screen"
    Identifier "XSPICE Screen"
    Monitor    "Configured Monitor"
    Device     "XSPICE"
    DefaultDepth 24
    SubSection "Display"
        Depth 24
        Modes "{w}x{h}"
    EndSubSection
EndSection
Section "ServerLayout"
    Identifier "XSPICE"
    Screen "XSPICE Screen"
    InputDevice "XSPICE KEYBOARD"
    InputDevice "XSPICE POINTER"
EndSection
Section "ServerFlags"
    Option "AutoAddDevices" "False"
    Option "DontVTSwitch" "True"
EndSection
"""


def free_x_display():
    for n in range(60, 100):
        if os.path.exists(f"/tmp/.X{n}-lock") or os.path.exists(f"/tmp/.X11-unix/X{n}"):
            continue
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(f"\0/tmp/.X11-unix/X{n}")
        except OSError:
            continue
        finally:
            s.close()
        return n
    raise RuntimeError("no free X display number in 60..99")


class XSpice(Target):
    variants = {"xspice-perop": 0, "xspice-dfps10": 10, "xspice-dfps30": 30}  # deferred FPS

    @classmethod
    def missing(cls):
        if not shutil.which("Xorg"):
            return "Xorg not installed"
        if not os.path.exists("/usr/lib/xorg/modules/drivers/spiceqxl_drv.so"):
            return "spiceqxl driver (xserver-xspice) not installed"
        return None

    def start(self):
        self.home = self.tmp
        self.port = free_port()
        n = free_x_display()
        self.display = f":{n}"
        conf = os.path.join(self.tmp, "xorg.conf")
        confd = os.path.join(self.tmp, "xorg.conf.d")
        os.mkdir(confd)
        with open(conf, "w") as f:
            f.write(XORG_CONF.format(
                port=self.port, w=SIZE[0], h=SIZE[1],
                dfps=f'Option "SpiceDeferredFPS" "{self.variant}"' if self.variant else ""))
        self.log = open(os.path.join(self.tmp, "xorg.stdout"), "wb")
        p = spawn(["Xorg", self.display, "-config", conf, "-configdir", confd, "-noreset",
                   "-nolisten", "tcp", "-logfile", os.path.join(self.tmp, "xorg.log")],
                  env={"PATH": "/usr/bin:/bin", "HOME": self.tmp}, stdout=self.log,
                  stderr=subprocess.STDOUT)
        self.procs.append(p)
        wait_listening(self.port, 30, p)
        self.answers("Xorg to answer")

    def focus(self, wid):
        # No window manager: give the terminal the keyboard like a WM would
        # (retried: the window may not be viewable the very moment it is found).
        for attempt in range(20):
            try:
                self.xdotool("windowfocus", "--sync", str(wid), timeout=5)
                return
            except (RuntimeError, subprocess.TimeoutExpired):
                if attempt == 19:
                    raise
                time.sleep(0.1)


SWAY_CONF = """
output HEADLESS-1 resolution {w}x{h} position 0 0
default_border none
default_floating_border none
focus_follows_mouse no
xwayland force
for_window [class=".*"] floating enable
for_window [app_id=".*"] floating enable
"""


def _recv_exact(sock, n):
    return recv_exact(sock, n, "sway ipc closed", RuntimeError)


def ensure_user():
    try:
        pwd.getpwnam(BENCH_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", BENCH_USER], check=True, timeout=30)
    return pwd.getpwnam(BENCH_USER)


class SwayVnc(Target):
    kind = "vnc"
    wayland = True
    user = BENCH_USER
    variants = {"sway-wayvnc": "zrle", "sway-wayvnc-tight": "tight"}  # the client's encoding

    @classmethod
    def missing(cls):
        for b in ("sway", "wayvnc", "setpriv"):
            if not shutil.which(b):
                return f"{b} not installed"
        try:
            __import__("numpy")
        except ImportError:
            return "python3-numpy (for the VNC client) not installed"
        return None

    def start(self):
        pw = ensure_user()
        # sway's Xwayland (as BENCH_USER) needs the usual sticky, world-
        # writable socket directory; one made by a root X server may be 0755.
        os.makedirs("/tmp/.X11-unix", exist_ok=True)
        os.chmod("/tmp/.X11-unix", 0o1777)
        self.runtime = os.path.join(self.tmp, "runtime")
        os.mkdir(self.runtime, 0o700)
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home, 0o700)
        for d in (self.runtime, self.home):
            os.chown(d, pw.pw_uid, pw.pw_gid)
        conf = os.path.join(self.tmp, "sway.conf")
        with open(conf, "w") as f:
            f.write(SWAY_CONF.format(w=SIZE[0], h=SIZE[1]))
        os.chmod(conf, 0o644)
        env = {"PATH": "/usr/bin:/bin", "HOME": self.home, "XDG_RUNTIME_DIR": self.runtime,
               "WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman",
               "WLR_LIBINPUT_NO_DEVICES": "1", "LANG": "C.UTF-8"}
        self.log = open(os.path.join(self.tmp, "sway.log"), "wb")
        p = spawn(["sway", "-c", conf], env=env, user=BENCH_USER, stdout=self.log,
                  stderr=subprocess.STDOUT)
        self.procs.append(p)

        def sockets():
            names = os.listdir(self.runtime)
            wl = [n for n in names if n.startswith("wayland-") and not n.endswith(".lock")]
            ipc = [n for n in names if n.startswith("sway-ipc.")]
            if p.poll() is not None:
                raise RuntimeError(f"sway exited ({p.returncode})")
            return (wl[0], ipc[0]) if wl and ipc else None
        wl, ipc = wait_for(sockets, 30, "sway's sockets")
        self.ipc_path = os.path.join(self.runtime, ipc)
        self.xwl = wait_for(lambda: xwayland_of(self.runtime), 30, "sway's Xwayland")
        self.extra_kill = list(self.xwl)
        with open(f"/proc/{self.xwl[0]}/cmdline", "rb") as f:
            self.display = [a.decode() for a in f.read().split(b"\0") if a.startswith(b":")][0]
        self.client_env = {"XDG_RUNTIME_DIR": self.runtime, "WAYLAND_DISPLAY": wl,
                           "SWAYSOCK": self.ipc_path}
        self.port = free_port()
        self.vnclog = open(os.path.join(self.tmp, "wayvnc.log"), "wb")
        v = spawn(["wayvnc", "-C", "/dev/null", "127.0.0.1", str(self.port)],
                  env=dict(env, WAYLAND_DISPLAY=wl), user=BENCH_USER, stdout=self.vnclog,
                  stderr=subprocess.STDOUT)
        self.procs.append(v)
        wait_listening(self.port, 30, v)
        self.answers("sway's Xwayland to answer")

    def server_pids(self):
        return sorted(set(super().server_pids()) | set(xwayland_of(self.runtime)))

    def ipc(self, sock, payload, msgtype=0):
        data = payload.encode()
        sock.sendall(b"i3-ipc" + struct.pack("<II", len(data), msgtype) + data)
        hdr = _recv_exact(sock, 14)
        return json.loads(_recv_exact(sock, struct.unpack("<I", hdr[6:10])[0]))

    def mover(self, wid, title, seconds):
        """sway ignores the position of X ConfigureRequests for floating
        windows (it re-centres them), so the same path is driven through
        sway's IPC: `move position X Y`, 30 times a second."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(5)
        sock.connect(self.ipc_path)
        done = threading.Event()

        def run():
            try:
                start = time.monotonic()
                n = 0
                while time.monotonic() - start < seconds:
                    t = n / 30
                    x, y = drag_path(t)
                    self.ipc(sock, f'[title="^{title}$"] move absolute position {x} {y}')
                    n = max(n + 1, int((time.monotonic() - start) * 30) + 1)
                    delay = start + n / 30 - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
            except (OSError, RuntimeError) as e:
                log(f"bench: sway mover: {e}")
            finally:
                sock.close()
                done.set()
        threading.Thread(target=run, daemon=True).start()
        return done


def drag_path(t):
    """The same path as xbench's `move`: triangle waves across the screen."""
    def tri(t, period, span):
        p = (t % period) / period
        return int(p * 2 * span if p < 0.5 else (1 - p) * 2 * span)
    return tri(t, 4.0, SIZE[0] - 200), tri(t, 2.6, SIZE[1] - 200)


TARGET_CLASSES = [SpiceWl, XSpice, SwayVnc]
TARGET_BY_NAME = {name: cls for cls in TARGET_CLASSES for name in cls.variants}
TARGETS = list(TARGET_BY_NAME)
BASELINE = "xspice-dfps10"


def make_target(name, ctx):
    if name not in TARGET_BY_NAME:
        raise ValueError(name)
    return TARGET_BY_NAME[name](name, ctx)


def check_target(name):
    """None if the target can run here, else why not."""
    return TARGET_BY_NAME[name].missing()
