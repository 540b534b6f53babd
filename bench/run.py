#!/usr/bin/python3
"""spice-wl benchmark: spice-wl (per-op, dfps 10, dfps 30) against XSpice
(Xorg + spiceqxl, same three modes) and sway + wayvnc, on the same X11
workloads, with a real client connected. See bench/README.md.

  bench/run.py [--quick] [--runs N] [--out DIR]
               [--targets T,T,...] [--workloads W,W,...] [--build DIR]

Run as root (XSpice's Xorg needs it; sway runs as an unprivileged user made
for the purpose). Writes DIR/results.json, DIR/results.md and DIR/plots/*.png.
"""

import sys

# bench/typing.py must not shadow the standard library's typing (numpy and
# matplotlib import it) when this runs as a script.
if __name__ == "__main__":
    sys.path.pop(0)

import argparse
import atexit
import datetime
import json
import os
import pwd
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PY = sys.executable or "/usr/bin/python3"
SIZE = (1280, 800)
BENCH_USER = "swlbench"
TYPING_RATE = 33.0
TYPING_TEXT = "the quick brown fox jumps over the lazy dog 0123456789 "
CLK_TCK = os.sysconf("SC_CLK_TCK")

sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from harness import xwayland_of  # noqa: E402  (shared with the tests)

# ----------------------------------------------------------------------------
# logging and process bookkeeping


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


_sessions = []          # session ids (= leader pids) of everything we started
_sessions_lock = threading.Lock()


def spawn(args, env=None, user=None, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
          stderr=subprocess.DEVNULL, cwd=None):
    """Starts args in a new session (so its whole tree can be killed by id)."""
    if user is not None:
        args = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups"] + list(args)
    p = subprocess.Popen(args, env=env, stdin=stdin, stdout=stdout, stderr=stderr,
                         start_new_session=True, cwd=cwd or "/")
    with _sessions_lock:
        _sessions.append(p.pid)
    p.sid = p.pid
    return p


def pids_in_session(sid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:  # field 6: session
                out.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return out


def kill_session(sid, grace=3.0):
    """SIGTERM every process of session sid, SIGKILL what is left after grace."""
    pids = pids_in_session(sid)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not [p for p in pids_in_session(sid) if not is_zombie(p)]:
            break
        time.sleep(0.05)
    for pid in pids_in_session(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    with _sessions_lock:
        if sid in _sessions:
            _sessions.remove(sid)


def stop(p, grace=3.0):
    if p is None:
        return
    kill_session(p.sid, grace)
    try:
        p.wait(2)
    except subprocess.TimeoutExpired:
        pass
    for stream in (p.stdin, p.stdout, p.stderr):
        try:
            if stream:
                stream.close()
        except OSError:
            pass


def is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def kill_everything():
    with _sessions_lock:
        sids = list(_sessions)
    for sid in sids:
        kill_session(sid, grace=1.0)


atexit.register(kill_everything)


def _on_signal(signum, _frame):
    log(f"bench: signal {signum}, stopping everything")
    kill_everything()
    sys.exit(130)


# ----------------------------------------------------------------------------
# /proc measurements


def proc_cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError):
        return None


def proc_ctxsw(pid):
    """Voluntary + involuntary context switches of all threads of pid."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def proc_status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return (sum(v[:8]) - idle) / CLK_TCK


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}) before listening")
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].split(":")[1], 16) == port:
                    return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def wait_for(pred, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise RuntimeError(f"timed out waiting for {what}")


# ----------------------------------------------------------------------------
# line-oriented child processes (probe session, rfbclient, xbench)


class Lines:
    def __init__(self, proc, name):
        self.proc = proc
        self.name = name
        self.buf = b""
        self.lines = []
        self.eof = False

    def readline(self, timeout):
        import select
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.eof:
                return None
            r, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if not r:
                continue
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                self.eof = True
                continue
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode("utf-8", "replace")
        self.lines.append(text)
        return text

    def drain(self):
        """Keeps reading (and dropping) output so the child never blocks."""
        def run():
            try:
                while os.read(self.proc.stdout.fileno(), 65536):
                    pass
            except (OSError, ValueError):
                pass
        threading.Thread(target=run, daemon=True).start()

    def wait_for(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"{self.name}: timed out; last lines {self.lines[-5:]}")
            line = self.readline(remaining)
            if line is None:
                if self.eof:
                    raise RuntimeError(f"{self.name}: ended; last lines {self.lines[-5:]}")
                continue
            if pred(line):
                return line


class Client:
    """A display client driven by line commands: spice-wl-probe `session`
    for SPICE targets, bench/rfbclient.py for VNC."""

    def __init__(self, args, name, env=None):
        self.name = name
        self.proc = spawn(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.out = Lines(self.proc, name)
        line = self.out.wait_for(lambda l: l.startswith(("connected", "disconnected")), 30)
        if not line.startswith("connected"):
            raise RuntimeError(f"{name} could not connect: {line}")

    def cmd(self, line, timeout=30):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        return self.out.wait_for(lambda l: not l.startswith(("primary ", "connected")), timeout)

    def stats(self):
        s = json.loads(self.cmd("stats"))
        if "channels" in s:  # spice-wl-probe
            return {"total_bytes": s["total_bytes"],
                    "display_bytes": s["channels"].get("display", 0),
                    "display_updates": s["display_updates"]}
        return {"total_bytes": s["total_bytes"], "display_bytes": s["display_bytes"],
                "display_updates": s["display_updates"]}

    def close(self):
        try:
            if self.proc.poll() is None:
                self.cmd("quit", 5)
                self.proc.wait(3)
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            pass
        stop(self.proc, 1)


# ----------------------------------------------------------------------------
# targets


class Target:
    kind = "spice"      # or "vnc"
    wayland = False     # can run Wayland clients
    user = None         # run clients as this user

    def __init__(self, name, ctx):
        self.name = name
        self.ctx = ctx
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix=f"swl-bench-{name}-")
        os.chmod(self.tmp, 0o755)
        self.display = None
        self.client_env = {}
        self.clients = []

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
                       "--encoding", self.encoding], f"{self.name} rfbclient")

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
        r = subprocess.run((["setpriv", f"--reuid={self.user}", f"--regid={self.user}",
                             "--init-groups"] if self.user else []) + ["xdotool"] + list(args),
                           env=self.env(), capture_output=True, text=True, timeout=timeout)
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

    def __init__(self, name, ctx, mode_args):
        super().__init__(name, ctx)
        self.mode_args = mode_args
        self.clients = []

    def start(self):
        self.runtime = os.path.join(self.tmp, "runtime")
        os.mkdir(self.runtime, 0o700)
        self.home = self.tmp
        self.port = free_port()
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.tmp,
               "XDG_RUNTIME_DIR": self.runtime}
        cmd = [self.ctx.spice_wl, "--disable-ticketing", "--port", str(self.port),
               "--size", f"{SIZE[0]}x{SIZE[1]}", self.policy, "--keep-running",
               "--xwayland", "on"] + self.mode_args + [
            "--", "sh", "-c", 'echo "env $DISPLAY $WAYLAND_DISPLAY"; exec sleep 100000']
        self.log = open(os.path.join(self.tmp, "spice-wl.log"), "wb")
        p = spawn(cmd, env=env, stdout=subprocess.PIPE, stderr=self.log)
        self.procs.append(p)
        out = Lines(p, "spice-wl")
        out.wait_for(lambda l: l.startswith("spice://"), 30)
        line = out.wait_for(lambda l: l.startswith("env "), 30)
        _, self.display, wl = line.split()
        self.client_env = {"XDG_RUNTIME_DIR": self.runtime, "WAYLAND_DISPLAY": wl}
        self.xwl = wait_for(lambda: xwayland_of(self.runtime), 30, "Xwayland")
        self.extra_kill = list(self.xwl)
        # Xwayland is up once it answers.
        wait_for(lambda: subprocess.run(["xdotool", "getdisplaygeometry"], env=self.env(),
                                        capture_output=True, timeout=10).returncode == 0,
                 30, "Xwayland to answer")

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
    def __init__(self, name, ctx, fps):
        super().__init__(name, ctx)
        self.fps = fps
        self.clients = []

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
                dfps=f'Option "SpiceDeferredFPS" "{self.fps}"' if self.fps else ""))
        self.log = open(os.path.join(self.tmp, "xorg.stdout"), "wb")
        p = spawn(["Xorg", self.display, "-config", conf, "-configdir", confd, "-noreset",
                   "-nolisten", "tcp", "-logfile", os.path.join(self.tmp, "xorg.log")],
                  env={"PATH": "/usr/bin:/bin", "HOME": self.tmp}, stdout=self.log,
                  stderr=subprocess.STDOUT)
        self.procs.append(p)
        wait_listening(self.port, 30, p)
        wait_for(lambda: subprocess.run(["xdotool", "getdisplaygeometry"], env=self.env(),
                                        capture_output=True, timeout=10).returncode == 0,
                 30, "Xorg to answer")

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

    def __init__(self, name, ctx, encoding):
        super().__init__(name, ctx)
        self.clients = []
        self.encoding = encoding

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
        wait_for(lambda: subprocess.run(self._as_user(["xdotool", "getdisplaygeometry"]),
                                        env=self.env(), capture_output=True,
                                        timeout=10).returncode == 0,
                 30, "sway's Xwayland to answer")

    def _as_user(self, args):
        return ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--init-groups"] + args

    def server_pids(self):
        return sorted(set(super().server_pids()) | set(xwayland_of(self.runtime)))

    def ipc(self, sock, payload, msgtype=0):
        data = payload.encode()
        sock.sendall(b"i3-ipc" + struct.pack("<II", len(data), msgtype) + data)
        hdr = b""
        while len(hdr) < 14:
            chunk = sock.recv(14 - len(hdr))
            if not chunk:
                raise RuntimeError("sway ipc closed")
            hdr += chunk
        n = struct.unpack("<I", hdr[6:10])[0]
        body = b""
        while len(body) < n:
            chunk = sock.recv(n - len(body))
            if not chunk:
                raise RuntimeError("sway ipc closed")
            body += chunk
        return json.loads(body)

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


def make_target(name, ctx):
    if name == "spice-wl-auto":
        return SpiceWl(name, ctx, ["--frame-mode", "auto", "--fps", "30"])
    if name == "spice-wl-auto-nocopy":
        return SpiceWl(name, ctx, ["--frame-mode", "auto", "--fps", "30", "--no-copy-bits"])
    if name == "spice-wl-perop":
        return SpiceWl(name, ctx, ["--frame-mode", "per-op"])
    if name == "spice-wl-dfps10":
        return SpiceWl(name, ctx, ["--frame-mode", "dfps", "--fps", "10"])
    if name == "spice-wl-dfps30":
        return SpiceWl(name, ctx, ["--frame-mode", "dfps", "--fps", "30"])
    if name == "xspice-perop":
        return XSpice(name, ctx, 0)
    if name == "xspice-dfps10":
        return XSpice(name, ctx, 10)
    if name == "xspice-dfps30":
        return XSpice(name, ctx, 30)
    if name == "sway-wayvnc":
        return SwayVnc(name, ctx, "zrle")
    if name == "sway-wayvnc-tight":
        return SwayVnc(name, ctx, "tight")
    raise ValueError(name)


TARGETS = ["spice-wl-auto", "spice-wl-auto-nocopy", "spice-wl-perop", "spice-wl-dfps10",
           "spice-wl-dfps30",
           "xspice-perop", "xspice-dfps10", "xspice-dfps30", "sway-wayvnc",
           "sway-wayvnc-tight"]
BASELINE = "xspice-dfps10"

# ----------------------------------------------------------------------------
# workloads

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


class Measure:
    """Counters of the server processes and the client over one window."""

    def __init__(self, target, client):
        self.target = target
        self.client = client

    def snap(self):
        pids = self.target.server_pids()
        s = {"t": time.monotonic(), "busy": machine_busy(),
             "cpu": {p: proc_cpu(p) for p in pids}, "ctx": {p: proc_ctxsw(p) for p in pids}}
        if self.client:
            s["client"] = self.client.stats()
        return s

    def result(self, a, b):
        window = b["t"] - a["t"]
        cpu = 0.0
        ctx = 0
        by = {}
        for pid, c1 in b["cpu"].items():
            c0 = a["cpu"].get(pid, 0.0)
            if c1 is None:
                continue
            d = c1 - (c0 or 0.0)
            cpu += d
            name = proc_comm(pid)
            by[name] = round(by.get(name, 0) + d, 3)
            x1, x0 = b["ctx"].get(pid), a["ctx"].get(pid) or 0
            if x1 is not None:
                ctx += x1 - x0
        pids = self.target.server_pids()
        r = {"window_s": round(window, 3), "cpu_s": round(cpu, 3), "cpu_by_process": by,
             "ctx_switches": ctx, "wakeups_per_s": round(ctx / window, 2),
             "peak_rss_mb": round(sum(proc_status_kb(p, "VmHWM") for p in pids) / 1024, 1),
             "machine_busy_s": round(b["busy"] - a["busy"], 2)}
        if self.client:
            for k in ("total_bytes", "display_bytes", "display_updates"):
                r[k] = b["client"][k] - a["client"][k]
        return r


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

    def __init__(self, ctx, target, quick):
        self.ctx = ctx
        self.t = target
        self.quick = quick
        self.W = 3.0 if quick else 10.0
        self.extra = {}
        self.title = f"bench-{self.name}"

    @classmethod
    def applies(cls, target_name):
        if target_name.endswith("-nocopy"):
            return False
        if cls.wayland:
            return target_name.startswith(("spice-wl", "sway"))
        return True

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

    def scroll_gen(self):
        self.trigger = os.path.join(self.t.tmp, "go")
        gen = os.path.join(self.t.tmp, "scrollgen.py")
        with open(gen, "w") as f:
            f.write(SCROLL_GEN)
        os.chmod(gen, 0o644)
        return [PY, gen, self.trigger, str(self.W + 2), "300"]

    def go(self):
        open(self.trigger, "w").close()


class XtermTyping(Workload):
    name = "typing"
    doc = "600 characters at 33/s into xterm (`cat`), one key press+release each."
    alive_check = True

    def launch(self, client):
        self.t.run_client(XTERM + ["-title", self.title, "-e", "cat"])
        self.t.focus(self.t.find_window(self.title))

    def act(self, client, m):
        self.type_text(client)
        return m.snap()


class IdleClient(XtermTyping):
    name = "idle-client"
    doc = "xterm on screen, nothing changes, client connected."

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

    @classmethod
    def applies(cls, target_name):
        return target_name.endswith("-nocopy") or super().applies(target_name)

    def launch(self, client):
        self.t.run_client(XTERM + ["-title", self.title, "-e"] + self.scroll_gen())
        self.t.find_window(self.title)

    def act(self, client, m):
        self.go()
        return super().act(client, m)


class Drag(Workload):
    name = "drag"
    doc = ("a 200x200 xlogo moved 30 times/s along a fixed path across the screen "
           "(X ConfigureWindow; on sway: IPC `move position`).")

    @classmethod
    def applies(cls, target_name):
        return target_name.endswith("-nocopy") or super().applies(target_name)

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
        lines = Lines(p, "xbench")
        lines.wait_for(lambda l: l == "mapped", 30)
        lines.drain()


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
        lines = Lines(p, "swl-test-client")
        lines.wait_for(lambda l: l.startswith("ready"), 30)
        lines.drain()


class FootTyping(Workload):
    name = "typing-foot"
    doc = "600 characters at 33/s into foot (`cat`; Wayland, damages whole rows)."
    wayland = True
    alive_check = True
    app = FOOT + ["cat"]

    def launch(self, client):
        self.start_wayland(client, self.app)

    def act(self, client, m):
        self.type_text(client)
        return m.snap()


class WestonTerminalTyping(FootTyping):
    name = "typing-weston-terminal"
    doc = "600 characters at 33/s into weston-terminal (`cat`; Wayland)."
    app = WESTON_TERMINAL + ["--shell=/bin/cat"]


class FootPrint(Workload):
    name = "print-foot"
    doc = "foot printing 300 unique lines/s (the `scroll` generator; Wayland)."
    wayland = True

    def launch(self, client):
        self.start_wayland(client, FOOT + self.scroll_gen())

    def act(self, client, m):
        self.go()
        return super().act(client, m)


class GtkTyping(FootTyping):
    name = "gtk-typing"
    doc = ("600 characters at 33/s into a GTK3 text view (bench/gtkbench.py text, "
           "800x600; Wayland).")

    def launch(self, client):
        self.start_wayland(client, [PY, os.path.join(HERE, "gtkbench.py"), "text"],
                           env=GTK_ENV)


class GtkScroll(Workload):
    name = "gtk-scroll"
    doc = ("a GTK3 list of 5000 rows scrolled 12 px 30 times/s (bench/gtkbench.py "
           "list, 800x600; Wayland).")
    wayland = True

    def launch(self, client):
        self.trigger = os.path.join(self.t.tmp, "go")
        self.start_wayland(client, [PY, os.path.join(HERE, "gtkbench.py"), "list",
                                    self.trigger, str(self.W + 2)], env=GTK_ENV)

    def act(self, client, m):
        self.go()
        return super().act(client, m)


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


def applicable(target, workload):
    return WORKLOAD_BY_NAME[workload].applies(target)


def run_item(ctx, target_name, workload, quick, shot=None):
    t = make_target(target_name, ctx)
    w = WORKLOAD_BY_NAME[workload](ctx, t, quick)
    if w.spice_wl_policy and isinstance(t, SpiceWl):
        t.policy = w.spice_wl_policy
    client = None
    try:
        t.start()
        if w.client:
            client = t.connect()
        w.launch(client)
        w.settle(client)
        m = Measure(t, client)
        a = m.snap()
        b = w.act(client, m)
        if shot and client is not None:
            ext = ".png" if t.kind == "spice" else ".ppm"
            client.cmd(f"screenshot {shot}{ext}", 30)
        r = m.result(a, b)
        r.update(w.extra)
        if w.animation and client is not None and r.get("window_s"):
            r["client_fps"] = round(r["display_updates"] / r["window_s"], 1)
        if w.alive_check:
            # the application must have survived
            if not [p for p in t.clients if p.poll() is None]:
                raise RuntimeError("the client application died")
        return r
    finally:
        if client:
            client.close()
        t.stop()


# ----------------------------------------------------------------------------
# results


METRICS = [  # key, label, unit/format
    ("display_bytes", "display bytes"),
    ("total_bytes", "all bytes"),
    ("display_updates", "updates"),
    ("cpu_s", "server CPU s"),
    ("wakeups_per_s", "wakeups/s"),
    ("peak_rss_mb", "peak RSS MB"),
    ("latency_median_ms", "latency median ms"),
    ("latency_p90_ms", "latency p90 ms"),
    ("client_fps", "client fps"),
    ("app_fps", "app fps"),
]


def summarize(raw, targets, workloads):
    summary = {}
    for w in workloads:
        for tname in targets:
            runs = [r for r in raw.get(tname, {}).get(w, []) if "error" not in r]
            if not runs:
                continue
            med = {}
            for key, _ in METRICS + [("machine_busy_s", ""), ("window_s", "")]:
                vals = [r[key] for r in runs if key in r]
                if vals:
                    med[key] = statistics.median(vals)
            med["runs"] = len(runs)
            names = sorted({n for r in runs for n in r.get("cpu_by_process", {})})
            med["cpu_by_process"] = {
                n: round(statistics.median(r.get("cpu_by_process", {}).get(n, 0.0)
                                           for r in runs), 3) for n in names}
            summary.setdefault(w, {})[tname] = med
    for w, per in summary.items():
        base = per.get(BASELINE)
        if not base:
            continue
        for tname, med in per.items():
            ratio = {}
            for key, _ in METRICS:
                if key in med and key in base:
                    ratio[key] = (round(med[key] / base[key], 3) if base[key]
                                  else (1.0 if med[key] == 0 else None))
            med["ratio_to_" + BASELINE] = ratio
    return summary


def fmt(key, v):
    if v is None:
        return "-"
    if key.endswith("bytes"):
        if v >= 1e6:
            return f"{v / 1e6:.2f} MB"
        if v >= 1e3:
            return f"{v / 1e3:.1f} kB"
        return f"{v:.0f} B"
    if key in ("display_updates",):
        return f"{v:.0f}"
    if key in ("client_fps", "app_fps"):
        return f"{v:.1f}"
    if key == "cpu_s":
        return f"{v:.2f}"
    if key == "wakeups_per_s":
        return f"{v:.1f}"
    return f"{v:.1f}"


def write_markdown(path, summary, meta, targets, workloads, errors):
    out = []
    out.append("# spice-wl benchmark results\n")
    out.append(f"Date: {meta['date']}; runs: {meta['runs']} (medians); window: "
               f"{meta['window_s']} s per workload (typing: {meta['typing_chars']} characters "
               f"at {TYPING_RATE:.0f}/s); {SIZE[0]}x{SIZE[1]}; machine: {meta['machine']}; "
               f"spice-wl {meta.get('spice_wl_commit', '?')}; total run time "
               f"{meta.get('total_seconds', 0) / 60:.1f} min.\n")
    out.append(f"Ratios (×) are to **{BASELINE}** measured in the same run. Bytes are "
               "server→client as counted by the client; CPU is the server processes' user+"
               "system time in the window (spice-wl + Xwayland; Xorg; sway + wayvnc + "
               "Xwayland); wakeups/s are their context switches per second; peak RSS is "
               "their VmHWM summed.\n")
    out.append("## Overview: display bytes (× " + BASELINE + ")\n")
    out.append("| workload | " + " | ".join(targets) + " |")
    out.append("| --- | " + " | ".join("---:" for _ in targets) + " |")
    for w in workloads:
        per = summary.get(w)
        if not per:
            continue
        cells = []
        for tname in targets:
            med = per.get(tname)
            if not med or "display_bytes" not in med:
                cells.append("-")
                continue
            cell = fmt("display_bytes", med["display_bytes"])
            r = med.get("ratio_to_" + BASELINE, {}).get("display_bytes")
            if r is not None and tname != BASELINE:
                cell += f" ({r:.2f}×)"
            if "client_fps" in med and w.startswith("anim"):
                cell += f", {med['client_fps']:.0f} fps"
            cells.append(cell)
        out.append(f"| {w} | " + " | ".join(cells) + " |")
    out.append("")
    if meta.get("skipped"):
        for tname, why in meta["skipped"].items():
            out.append(f"- **{tname}** skipped: {why}")
        out.append("")
    for w in workloads:
        per = summary.get(w)
        if not per:
            continue
        keys = [k for k, _ in METRICS if any(k in per[t] for t in per)]
        if w.startswith("idle") or w == "latency":
            keys = [k for k in keys if k not in ("display_updates",)] if w == "idle-noclient" \
                else keys
        out.append(f"## {w}\n")
        out.append(f"{WORKLOAD_DOC[w]}\n")
        labels = dict(METRICS)
        out.append("| target | " + " | ".join(labels[k] for k in keys) + " |")
        out.append("| --- | " + " | ".join("---:" for _ in keys) + " |")
        for tname in targets:
            med = per.get(tname)
            if not med:
                continue
            ratio = med.get("ratio_to_" + BASELINE, {})
            cells = []
            for k in keys:
                cell = fmt(k, med.get(k))
                if k in ratio and ratio[k] is not None and tname != BASELINE:
                    cell += f" ({ratio[k]:.2f}×)"
                cells.append(cell)
            out.append(f"| {tname} | " + " | ".join(cells) + " |")
        out.append("")
    out.append("## Server CPU by process (median seconds)\n")
    out.append("| workload | " + " | ".join(targets) + " |")
    out.append("| --- | " + " | ".join("---" for _ in targets) + " |")
    for w in workloads:
        per = summary.get(w)
        if not per:
            continue
        cells = []
        for tname in targets:
            split = per.get(tname, {}).get("cpu_by_process", {})
            cells.append(", ".join(f"{n} {v:.2f}" for n, v in sorted(split.items())
                                   if v >= 0.005) or "-")
        out.append(f"| {w} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("Whole machine busy during the windows (all processes, incl. clients and "
               "anything else running): median " +
               ", ".join(f"{w} {statistics.median(m['machine_busy_s'] for m in summary[w].values() if 'machine_busy_s' in m):.1f} s"
                         for w in workloads if w in summary) + ".\n")
    if errors:
        out.append("## Errors\n")
        for e in errors:
            out.append(f"- {e}")
        out.append("")
    with open(path, "w") as f:
        f.write("\n".join(out))


def plots(path, summary, targets, workloads):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(path, exist_ok=True)
    colors = {"spice-wl-perop": "#1f77b4", "spice-wl-dfps10": "#4fa3e0",
              "spice-wl-dfps30": "#9ccbf0", "xspice-perop": "#d62728",
              "xspice-dfps10": "#f07070", "xspice-dfps30": "#f5b0b0",
              "sway-wayvnc": "#2ca02c", "sway-wayvnc-tight": "#98df8a",
              "spice-wl-auto": "#17becf"}

    def short(metric, v):
        if metric.endswith("bytes"):
            return f"{v / 1e6:.1f}M" if v >= 1e6 else f"{v / 1e3:.0f}k"
        return f"{v:.2f}" if v < 10 else f"{v:.0f}"

    def grid(metric, label, wl, fname):
        wl = [w for w in wl if w in summary and any(metric in summary[w][t]
                                                     for t in summary[w])]
        if not wl:
            return
        cols = 3 if len(wl) > 2 else len(wl)
        rows = (len(wl) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
        for i, w in enumerate(wl):
            ax = axes[i // cols][i % cols]
            names = [t for t in targets if t in summary[w] and metric in summary[w][t]]
            vals = [summary[w][t][metric] for t in names]
            bars = ax.bar(range(len(names)), vals, color=[colors.get(t, "grey") for t in names])
            top = max(vals) if vals else 0
            for bar, v in zip(bars, vals):
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + top * 0.01,
                        short(metric, v), ha="center", va="bottom", fontsize=6)
            ax.set_ylim(0, top * 1.15 if top > 0 else 1)
            if metric == "latency_median_ms":
                p90 = [summary[w][t].get("latency_p90_ms", v) for t, v in zip(names, vals)]
                ax.scatter(range(len(names)), p90, marker="_", s=200, color="black",
                           label="p90", zorder=3)
                ax.legend(fontsize=7)
            ax.set_xticks(range(len(names)))
            ax.set_xticklabels(names, rotation=35, ha="right", fontsize=7)
            ax.set_title(w, fontsize=9)
            ax.set_ylabel(label, fontsize=8)
            ax.tick_params(axis="y", labelsize=7)
        for j in range(len(wl), rows * cols):
            axes[j // cols][j % cols].axis("off")
        fig.tight_layout()
        fig.savefig(os.path.join(path, fname), dpi=80)
        plt.close(fig)

    active = [w for w in workloads if w not in ("idle-client", "idle-noclient", "latency")]
    grid("display_bytes", "display bytes", active, "bytes.png")
    grid("cpu_s", "server CPU s", workloads, "cpu.png")
    grid("latency_median_ms", "ms (bar: median)", ["latency"], "latency.png")
    grid("wakeups_per_s", "context switches/s", ["idle-client", "idle-noclient"],
         "wakeups.png")
    grid("peak_rss_mb", "peak RSS MB", workloads, "rss.png")


# ----------------------------------------------------------------------------
# main


class Ctx:
    pass


def prepare(ctx, build, smoke=False):
    if not smoke:
        # A smoke run uses the build and packages of the test suite as they are.
        subprocess.run([os.path.join(HERE, "install-deps.sh")], check=True, timeout=1800)
        # Optimised, as a packaged spice-wl (and Debian's Xorg) would be.
        # No -Werror: a release build (-O3) can warn where the debug build
        # does not (GCC 12's -Wformat-truncation), and warnings change no code.
        setup = ["meson", "setup", "--buildtype=release", "-Dwerror=false", build, REPO]
        if os.path.exists(os.path.join(build, "build.ninja")):
            setup[2:2] = ["--reconfigure"]
        subprocess.run(setup, check=True, timeout=600, stdout=subprocess.DEVNULL)
        subprocess.run(["ninja", "-C", build], check=True, timeout=1800,
                       stdout=subprocess.DEVNULL)
    ctx.spice_wl = os.path.join(build, "compositor", "spice-wl")
    ctx.probe = os.path.join(build, "tools", "spice-wl-probe")
    ctx.test_client = os.path.join(build, "tests", "clients", "swl-test-client")
    ctx.xbench = os.path.join(build, "xbench")
    subprocess.run(["cc", "-O2", "-Wall", "-o", ctx.xbench, os.path.join(HERE, "xbench.c"),
                    "-lxcb", "-lm"], check=True, timeout=120)
    # The sway target runs its clients as BENCH_USER: the build must be reachable.
    for d in (build, os.path.join(build, "tests"), os.path.join(build, "tests", "clients")):
        os.chmod(d, os.stat(d).st_mode | 0o055)
    p = build
    while p not in ("/", ""):
        os.chmod(p, os.stat(p).st_mode | 0o011)
        p = os.path.dirname(p)


def check_target(name):
    """None if the target can run here, else why not."""
    if name.startswith("xspice"):
        if not shutil.which("Xorg"):
            return "Xorg not installed"
        if not os.path.exists("/usr/lib/xorg/modules/drivers/spiceqxl_drv.so"):
            return "spiceqxl driver (xserver-xspice) not installed"
    if name.startswith("sway"):
        for b in ("sway", "wayvnc", "setpriv"):
            if not shutil.which(b):
                return f"{b} not installed"
        try:
            __import__("numpy")
        except ImportError:
            return "python3-numpy (for the VNC client) not installed"
    return None


def main():
    global BASELINE
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 run, 3 s windows")
    ap.add_argument("--smoke", action="store_true",
                    help="the test suite's check: --quick, spice-wl-auto only (unless --targets),"
                         " typing, drag, idle and latency (unless --workloads), no package"
                         " install or rebuild of --build; fails on any error")
    ap.add_argument("--runs", type=int, default=None, help="runs per item (default 3)")
    ap.add_argument("--out", default=None, help="output directory")
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help="comma-separated names, or 'x11' or 'wayland' for those groups")
    ap.add_argument("--baseline", default=BASELINE,
                    help=f"target the ratios are to (default {BASELINE})")
    ap.add_argument("--shots", action="store_true",
                    help="save the client's screen at the end of each window in DIR/shots/")
    ap.add_argument("--report-only", action="store_true",
                    help="only rewrite results.md and plots from DIR/results.json")
    ap.add_argument("--build", default="/tmp/spice-wl-bench/build",
                    help="meson build directory for spice-wl (made if missing)")
    args = ap.parse_args()
    BASELINE = args.baseline
    if args.workloads == "x11":
        args.workloads = ",".join(X11_WORKLOADS)
    elif args.workloads == "wayland":
        args.workloads = ",".join(WAYLAND_WORKLOADS)
    if args.smoke:
        args.quick = True
        if args.targets == ",".join(TARGETS):
            args.targets = "spice-wl-auto"
        if args.workloads == ",".join(WORKLOADS):
            args.workloads = "typing,drag,idle-client,latency"
    if BASELINE not in TARGETS:
        sys.exit(f"unknown baseline {BASELINE}; known: {', '.join(TARGETS)}")
    if os.geteuid() != 0 and not args.report_only:
        sys.exit("bench/run.py must run as root (XSpice's Xorg; sway runs as a user it makes)")
    runs = args.runs or (1 if args.quick else 3)
    targets = [t for t in args.targets.split(",") if t]
    workloads = [w for w in args.workloads.split(",") if w]
    for t in targets:
        if t not in TARGETS:
            sys.exit(f"unknown target {t}; known: {', '.join(TARGETS)}")
    for w in workloads:
        if w not in WORKLOADS:
            sys.exit(f"unknown workload {w}; known: {', '.join(WORKLOADS)}")
    # Absolute: the clients that save screenshots run in /.
    out = os.path.abspath(args.out or os.path.join(
        HERE, "results", datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
    os.makedirs(out, exist_ok=True)
    if args.report_only:
        with open(os.path.join(out, "results.json")) as f:
            data = json.load(f)
        meta = data["meta"]
        BASELINE = meta.get("baseline", BASELINE)
        summary = summarize(data["raw"], meta["targets"], meta["workloads"])
        write_markdown(os.path.join(out, "results.md"), summary, meta, meta["targets"],
                       meta["workloads"], data["errors"])
        plots(os.path.join(out, "plots"), summary, meta["targets"], meta["workloads"])
        return 0
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    t_start = time.monotonic()
    ctx = Ctx()
    log("bench: installing dependencies and building ...")
    prepare(ctx, os.path.abspath(args.build), args.smoke)

    skipped = {}
    for t in list(targets):
        why = check_target(t)
        if why:
            skipped[t] = why
            targets.remove(t)
            log(f"bench: skipping {t}: {why}")
    items = [(r, t, w) for r in range(1, runs + 1) for t in targets for w in workloads
             if applicable(t, w)]
    raw = {}
    errors = []
    fails = {}
    for i, (r, tname, w) in enumerate(items, 1):
        log(f"[{i}/{len(items)}] {tname} {w} run {r} ...")
        if fails.get(tname, 0) >= 4:
            msg = f"{tname} {w} run {r}: not run, {tname} failed 4 times"
            errors.append(msg)
            log("bench:   " + msg)
            continue
        t0 = time.monotonic()
        try:
            shot = None
            if args.shots:
                os.makedirs(os.path.join(out, "shots"), exist_ok=True)
                shot = os.path.join(out, "shots", f"{tname}-{w}-{r}")
            res = run_item(ctx, tname, w, args.quick, shot)
            res["run"] = r
            fails[tname] = 0
            log(f"    {json.dumps({k: v for k, v in res.items() if k != 'cpu_by_process'})}"
                f" ({time.monotonic() - t0:.0f} s)")
        except Exception as e:  # noqa: BLE001 - one failed item must not stop the run
            res = {"run": r, "error": f"{type(e).__name__}: {e}"}
            errors.append(f"{tname} {w} run {r}: {res['error']}")
            fails[tname] = fails.get(tname, 0) + 1
            log(f"bench:   FAILED: {res['error']}")
        raw.setdefault(tname, {}).setdefault(w, []).append(res)
        kill_everything()

    summary = summarize(raw, targets, workloads)
    total = time.monotonic() - t_start
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "runs": runs, "quick": args.quick, "window_s": 3.0 if args.quick else 10.0,
            "typing_chars": int(3.0 * TYPING_RATE) if args.quick else 600,
            "size": f"{SIZE[0]}x{SIZE[1]}", "baseline": BASELINE,
            "machine": f"{os.cpu_count()} cores, {os.uname().release}",
            "total_seconds": round(total, 1), "skipped": skipped,
            "targets": targets, "workloads": workloads,
            "spice_wl_commit": subprocess.run(["git", "-C", REPO, "describe", "--always",
                                               "--dirty"], capture_output=True,
                                              text=True).stdout.strip()}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "summary": summary, "raw": raw, "errors": errors}, f,
                  indent=1, sort_keys=True)
    write_markdown(os.path.join(out, "results.md"), summary, meta, targets, workloads, errors)
    try:
        plots(os.path.join(out, "plots"), summary, targets, workloads)
    except Exception as e:  # noqa: BLE001
        log(f"bench: plots failed: {e}")
    log(f"bench: done in {total / 60:.1f} min; results in {out}")
    if args.smoke:
        print(open(os.path.join(out, "results.md")).read())
        if errors or skipped:
            log(f"bench: smoke run failed: {errors or skipped}")
            return 1
        return 0
    return 1 if errors and not summary else 0


if __name__ == "__main__":
    sys.exit(main())
