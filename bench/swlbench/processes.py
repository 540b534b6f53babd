"""Every process the benchmark starts runs in a session of its own, so that
its whole tree (and the Xwayland wlroots double-forks) can be killed by the
session id: after each item, and on exit or SIGINT/SIGTERM."""

import atexit
import os
import signal
import subprocess
import sys
import threading
import time

from swlproc import LineReader, is_zombie, pids_in_session

from .common import log

_sessions = []          # session ids (= leader pids) of everything we started
_sessions_lock = threading.Lock()


def as_user(args, user):
    """args run as user (setpriv), or as they are for None."""
    if user is None:
        return list(args)
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups"] + list(args)


def spawn(args, env=None, user=None, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
          stderr=subprocess.DEVNULL, cwd=None):
    """Starts args in a new session (so its whole tree can be killed by id)."""
    p = subprocess.Popen(as_user(args, user), env=env, stdin=stdin, stdout=stdout,
                         stderr=stderr, start_new_session=True, cwd=cwd or "/")
    with _sessions_lock:
        _sessions.append(p.pid)
    p.sid = p.pid
    return p


def lines(proc, name):
    """The lines proc prints on its stdout pipe; waits fail with RuntimeError."""
    return LineReader(proc.stdout, name, error=RuntimeError)


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


def stop_on_signals():
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


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
