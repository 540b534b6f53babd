"""End-to-end: what spice-wl's children inherit and what outlives it.

No descriptor of spice-wl (the SPICE listening socket above all) reaches
COMMAND, Xwayland or pactl; the password is not left in spice-wl's original
environment block; and no process spice-wl starts, directly or through
wlroots (Xwayland and its double-forked helper), is alive once spice-wl has
exited, whatever moment Xwayland is killed and spice-wl is stopped at.
Every process the test starts carries a tag in its environment, which
everything below it inherits: that is how leftovers are found.
"""

import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import unittest
import uuid

from harness import Session, SessionTestCase
from swlproc import proc_comm as comm

SHELL_DISPLAY = "echo display=$DISPLAY; exec sleep 1000"
SETTLE = 2.0  # how long a process that is already on its way out may take

# Rounds with a fresh session each; aged sessions (over wlroots' 5 s) race a
# restart. Each start costs more under a sanitizer: fewer aged sessions there.
ROUNDS = int(os.environ.get("SWL_PROCESS_ROUNDS", "0")) or 50
AGED = 4 if "asan" in os.environ.get("SPICE_WL", "") else 8


def tagged(tag):
    """PIDs of live (non-zombie) processes whose environment holds tag."""
    needle = tag.encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
            if state not in (b"Z", b"X"):
                found.append(int(entry))
        except (OSError, IndexError):
            continue
    return found


def ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def fd_targets(pid):
    """{fd number: link target} of a process."""
    out = {}
    base = f"/proc/{pid}/fd"
    for name in os.listdir(base):
        try:
            out[int(name)] = os.readlink(os.path.join(base, name))
        except OSError:
            pass
    return out


def listening_inode(port):
    """The inode of the TCP socket listening on 127.0.0.1:port."""
    want = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[1] == want and cols[3] == "0A":
                return cols[9]
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def unix_socket_paths():
    """{inode: path} of the named unix sockets (abstract ones with '@')."""
    out = {}
    with open("/proc/net/unix") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if len(cols) >= 8:
                out[cols[6]] = cols[7]
    return out


def display_free(display, spice_pid):
    """Whether an X display number is free: True, or what holds it.

    Free when no lock names spice-wl: wlroots takes a number whose lock is
    gone (a socket file left alone is replaced), and another session may have
    taken it since, its own lock then names that session. No process of ours
    holds the socket either: Run.leftovers() finds none alive.
    """
    n = display.lstrip(":")
    lock = f"/tmp/.X{n}-lock"
    try:
        with open(lock) as f:
            owner = int(f.read().strip() or 0)
    except (OSError, ValueError):
        owner = None
    if owner is not None and owner == spice_pid:
        return f"{lock} names spice-wl"
    return True


def clean_display(display, spice_pid):
    """Leaves no stale lock of ours behind for later tests (before the fix)."""
    n = display.lstrip(":")
    try:
        with open(f"/tmp/.X{n}-lock") as f:
            if int(f.read().strip() or 0) != spice_pid:
                return
    except (OSError, ValueError):
        return
    for path in (f"/tmp/.X{n}-lock", f"/tmp/.X11-unix/X{n}"):
        try:
            os.unlink(path)
        except OSError:
            pass


class Run:
    """One spice-wl with Xwayland on, its processes tagged."""

    def __init__(self, args, command):
        self.tag = f"SWL_TEST_TAG={uuid.uuid4().hex}"
        key, value = self.tag.split("=", 1)
        self.session = Session(["--xwayland", "on"] + list(args), command, env={key: value})
        self.started = time.monotonic()
        self.display = None

    def ready(self):
        self.session.wait_ready()
        self.display = self.session.expect("display=").split("=", 1)[1]

    def xwayland(self):
        return [p for p in tagged(self.tag) if comm(p) == "Xwayland"]

    def kill_xwayland(self):
        for pid in self.xwayland():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def leftovers(self):
        """After spice-wl exited: its tagged processes still alive after SETTLE."""
        deadline = time.monotonic() + SETTLE
        while True:
            left = tagged(self.tag)
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        described = [f"{pid} {comm(pid)}" for pid in left]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return described

    def finish(self):
        """Waits for spice-wl's exit; returns (leftovers, display free)."""
        status = self.session.wait_exit(15)
        left = self.leftovers()
        if status < 0:
            left.append(f"spice-wl died of signal {-status}: {self.session.stderr()[-3000:]}")
        free = True if self.display is None else display_free(
            self.display, self.session.proc.pid)
        if free is not True and os.environ.get("SWL_PROCESS_DEBUG"):
            print(free, self.session.stderr(), file=sys.stderr)
        if self.display is not None:
            clean_display(self.display, self.session.proc.pid)
        return left, free

    def close(self):
        self.session.close()


class DescriptorTests(SessionTestCase):
    """Issue 13 item 1: no descriptor survives an exec; item 9: environ."""

    def test_command_and_xwayland_inherit_nothing(self):
        run = Run(["--keep-running"], ["sh", "-c", SHELL_DISPLAY])
        self.addCleanup(run.close)
        run.ready()
        s = run.session
        s.wait_stderr("Xwayland ready on")
        inode = listening_inode(s.port)
        spice = s.proc.pid
        self.assertIn(f"socket:[{inode}]", fd_targets(spice).values())

        deadline = time.monotonic() + 10
        command = []
        while not command:
            self.assertLess(time.monotonic(), deadline, "COMMAND never became sleep")
            command = [p for p in tagged(run.tag) if comm(p) == "sleep"]
            time.sleep(0.01)
        self.assertEqual(len(command), 1, command)

        # Nobody but spice-wl holds the SPICE listening socket; Xwayland
        # holds no socket of spice-wl's except those wlroots gave it.
        xwayland = run.xwayland()
        self.assertEqual(len(xwayland), 1)
        ours = {t for t in fd_targets(spice).values() if t.startswith("socket:")}
        for pid in tagged(run.tag):
            if pid == spice:
                continue
            held = set(fd_targets(pid).values())
            self.assertNotIn(f"socket:[{inode}]", held, f"{pid} {comm(pid)}")
            if pid == xwayland[0]:
                # Besides the X listening sockets wlroots hands it (and keeps
                # for a restart), nothing: its Wayland and window-manager
                # connections are the peers of wlroots' ends.
                paths = unix_socket_paths()
                x_socket = f"/tmp/.X11-unix/X{run.display.lstrip(':')}"
                shared = {t for t in held & ours
                          if paths.get(t[len("socket:["):-1], "").lstrip("@") != x_socket}
                self.assertEqual(shared, set(), f"Xwayland holds spice-wl's {shared}")

        # COMMAND (once it is sleep) has stdin, stdout and stderr only: it
        # reaches the display through WAYLAND_DISPLAY and DISPLAY, names.
        self.assertEqual(sorted(fd_targets(command[0])), [0, 1, 2],
                         fd_targets(command[0]))

    def test_pactl_inherits_nothing(self):
        bin_dir = tempfile.mkdtemp(prefix="swl-pactl-")
        self.addCleanup(shutil.rmtree, bin_dir, True)
        record = os.path.join(bin_dir, "fds")
        script = os.path.join(bin_dir, "pactl")
        with open(script, "w") as f:
            f.write("#!/usr/bin/python3\n"
                    "import os, sys\n"
                    "fds = {}\n"
                    "for name in os.listdir('/proc/self/fd'):\n"
                    "    try:\n"
                    "        fds[int(name)] = os.readlink('/proc/self/fd/' + name)\n"
                    "    except OSError:\n"
                    "        pass\n"
                    f"with open({record!r}, 'a') as out:\n"
                    "    out.write(' '.join(f'{k}={v}' for k, v in sorted(fds.items())"
                    " if not v.startswith('/proc/')) + '\\n')\n"
                    "if sys.argv[1] == 'load-module':\n"
                    "    print(42)\n")
        os.chmod(script, 0o755)
        env = {"PATH": bin_dir + os.pathsep + os.environ["PATH"],
               "PULSE_SERVER": "unix:" + os.path.join(bin_dir, "none")}
        s = self.start(["--xwayland", "off"], ["sh", "-c", "exec sleep 1000"], env=env)
        s.wait_stderr("sound server attached")
        with open(record) as f:
            lines = f.read().splitlines()
        self.assertGreaterEqual(len(lines), 2)
        for line in lines:
            fds = sorted(int(item.split("=", 1)[0]) for item in line.split())
            self.assertEqual(fds, [0, 1, 2], line)

    def test_command_gets_the_usual_descriptor_limit(self):
        """spice-wl raises its own soft descriptor limit to take many
        connections; COMMAND gets the one spice-wl started with."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard <= 1024:
            self.skipTest("the hard descriptor limit leaves nothing to raise")

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
        s = self.start(["--xwayland", "off"], ["sh", "-c", "exec sleep 1000"], preexec=limit)

        def soft_limit(pid):
            with open(f"/proc/{pid}/limits") as f:
                line = next(l for l in f if l.startswith("Max open files"))
            return line.split()[3]
        deadline = time.monotonic() + 10
        while True:
            children = [p for p in os.listdir("/proc") if p.isdigit() and comm(int(p)) == "sleep"
                        and ppid(int(p)) == s.proc.pid]
            if children:
                break
            self.assertLess(time.monotonic(), deadline, "COMMAND never became sleep")
            time.sleep(0.01)
        self.assertEqual(soft_limit(s.proc.pid), str(hard) if hard != resource.RLIM_INFINITY
                         else "unlimited")
        self.assertEqual(soft_limit(children[0]), "1024")

    def test_password_not_in_environ(self):
        secret = "environ-secret-" + uuid.uuid4().hex[:8]
        s = self.start(["--xwayland", "off"], ["sh", "-c", "exec sleep 1000"],
                       password=secret, env={"SPICE_WL_PASSWORD": secret})
        with open(f"/proc/{s.proc.pid}/environ", "rb") as f:
            block = f.read()
        self.assertNotIn(secret.encode(), block)
        self.assertNotIn(b"SPICE_WL_PASSWORD=", block)
        # The password still works: the wipe came after it was read.
        p = self.connect(s)
        p.close()


class LeftoverTests(unittest.TestCase):
    """Issue 19: every process spice-wl starts ends with it."""

    def setUp(self):
        seed = os.environ.get("SWL_PROCESS_SEED")
        self.seed = int(seed) if seed else random.randrange(1 << 30)
        self.rng = random.Random(self.seed)
        self.runs = []
        self.kills = {"starting": 0, "ready": 0}

    def tearDown(self):
        for run in self.runs:
            try:
                run.close()
            except Exception:  # noqa: BLE001 - best-effort teardown
                pass

    def stop(self, run):
        run.session.proc.send_signal(self.rng.choice([signal.SIGTERM, signal.SIGINT]))

    def kill_xwayland_at_random(self, run):
        """Kills Xwayland while it starts or once it is ready, or leaves it.

        Not while wlroots 0.15 sets up its window manager (between Xwayland
        saying it is ready, which ends wlroots' helper, and spice-wl's
        "Xwayland ready" line): xwm_create() then reads a reply that never
        came (xfixes, a NULL pointer) and spice-wl crashes inside wlroots.
        """
        when = self.rng.choice(["starting", "ready", "ready", "never"])
        if when == "starting":
            # While wlroots' helper (spice-wl's only child named like it)
            # still waits for Xwayland to say it is ready.
            spice = run.session.proc.pid
            name = comm(spice)
            helper = [p for p in tagged(run.tag) if p != spice and comm(p) == name]
            if helper and run.xwayland():
                run.kill_xwayland()
                self.kills["starting"] += 1
                return
            when = "ready"
        if when == "ready":
            run.session.wait_stderr("Xwayland ready on")
            time.sleep(self.rng.uniform(0.0, 0.3))
            run.kill_xwayland()
            self.kills["ready"] += 1

    def fast_round(self, mode):
        """Start, kill Xwayland at a random moment, end at a random moment."""
        command = ["sh", "-c", SHELL_DISPLAY]
        args = []
        if mode == "command-exit":
            delay = self.rng.uniform(0.0, 0.5)
            command = ["sh", "-c", f"echo display=$DISPLAY; sleep 1000 & sleep {delay:.3f}"]
        elif mode == "disconnect":
            args = ["--exit-on-disconnect"]
        run = Run(args, command)
        self.runs.append(run)
        run.ready()
        if mode != "command-exit":
            self.kill_xwayland_at_random(run)
        probe = run.session.probe_session() if mode == "disconnect" else None
        time.sleep(self.rng.uniform(0.0, 0.4))
        if mode == "signal":
            self.stop(run)
        elif probe is not None:
            probe.close()
        return run

    def aged_round(self, run):
        """Xwayland (over 5 s old, so wlroots restarts it) killed just before the end."""
        run.kill_xwayland()
        time.sleep(self.rng.uniform(0.0, 0.4))
        self.stop(run)

    def test_nothing_left_behind(self):
        started = time.monotonic()
        # Sessions old enough for wlroots to restart a killed Xwayland.
        aged = [Run([], ["sh", "-c", SHELL_DISPLAY]) for _ in range(AGED)]
        self.runs += aged
        for run in aged:
            run.ready()
        results = []
        for i in range(ROUNDS):
            modes = os.environ.get("SWL_PROCESS_MODES", "signal signal command-exit disconnect")
            modes = modes.split()
            mode = modes[i % len(modes)]
            run = self.fast_round(mode)
            results.append((mode, run.finish()))
            run.close()
        for run in aged:
            while time.monotonic() - run.started < 6.0:
                time.sleep(0.05)
            self.aged_round(run)
            results.append(("restart", run.finish()))
        elapsed = time.monotonic() - started

        bad = [(mode, left, free) for mode, (left, free) in results
               if left or free is not True]
        leftovers = sum(len(left) for _, left, _ in bad)
        print(f"\n{len(results)} rounds in {elapsed:.1f} s (seed {self.seed}): "
              f"{len(bad)} left something, {leftovers} processes, "
              f"{sum(1 for b in bad if b[2] is not True)} displays held; Xwayland killed "
              f"{self.kills['starting']} times starting, {self.kills['ready']} times ready, "
              f"{len(aged)} times with a restart to race", file=sys.stderr)
        self.maxDiff = None
        self.assertEqual(bad, [], f"seed {self.seed}")

    def test_command_daemon_and_stubborn_child(self):
        # COMMAND leaves a daemon in a session of its own and a child that
        # ignores SIGTERM: both end with spice-wl (the subreaper and the
        # escalation to SIGKILL), within the grace period.
        script = ("echo display=$DISPLAY; setsid sleep 1000 & "
                  "sh -c 'trap \"\" TERM; sleep 1000' & exec sleep 1000")
        run = Run([], ["sh", "-c", script])
        self.runs.append(run)
        run.ready()
        deadline = time.monotonic() + 10
        while len([p for p in tagged(run.tag) if comm(p) == "sleep"]) < 3:
            self.assertLess(time.monotonic(), deadline, "COMMAND's children never started")
            time.sleep(0.02)
        t0 = time.monotonic()
        run.session.proc.send_signal(signal.SIGTERM)
        left, free = run.finish()
        self.assertEqual(left, [])
        self.assertIs(free, True)
        self.assertLess(time.monotonic() - t0, 6.0)


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]] + sys.argv[1:])
