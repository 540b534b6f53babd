"""Process helpers shared by the end-to-end tests (harness.py) and the
benchmark (bench/swlbench, bench/*.py): reading a child's output lines with
deadlines, waiting on a condition, free TCP ports, finding the Xwayland of a
session, and /proc counters of processes and sessions.

It lives beside harness.py so that the tests import it as they are run (from
tests/e2e); the benchmark puts tests/e2e on sys.path. Plain standard library:
nothing to install.
"""

import os
import select
import socket
import threading
import time

DEFAULT_TIMEOUT = 20.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


class LineReader:
    """Reads lines from a pipe with a deadline, keeping everything seen.

    A wait that times out or meets the end of the stream raises error
    (AssertionError for the tests; the benchmark passes RuntimeError)."""

    def __init__(self, stream, name, error=AssertionError):
        self.stream = stream
        self.name = name
        self.error = error
        self.buf = b""
        self.lines = []
        self.eof = False

    def _fill(self, timeout):
        if self.eof:
            return False
        r, _, _ = select.select([self.stream], [], [], max(0.0, timeout))
        if not r:
            return False
        data = os.read(self.stream.fileno(), 65536)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def readline(self, timeout=DEFAULT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.eof:
                return None
            self._fill(remaining)
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode("utf-8", "replace")
        self.lines.append(text)
        return text

    def wait_for(self, predicate, timeout=DEFAULT_TIMEOUT):
        """Returns the first new line for which predicate(line) is true."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.error(f"{self.name}: timed out; last lines: {self.lines[-10:]}")
            line = self.readline(remaining)
            if line is None:
                if self.eof:
                    raise self.error(f"{self.name}: ended; last lines: {self.lines[-10:]}")
                continue
            if predicate(line):
                return line

    def drain(self):
        """Keeps reading (and dropping) output so the child never blocks."""
        def run():
            try:
                while os.read(self.stream.fileno(), 65536):
                    pass
            except (OSError, ValueError):
                pass
        threading.Thread(target=run, daemon=True).start()


def wait_until(predicate, timeout, what, interval=0.05, error=AssertionError):
    """Polls predicate until it returns something true, and returns that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise error(f"timed out waiting for {what}")


def recv_exact(sock, n, closed="connection closed", error=ConnectionError):
    """Exactly n bytes from a blocking socket; error(closed) if it ends first."""
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise error(closed)
        data += chunk
    return data


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (field 3 on)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def xwayland_of(runtime_dir):
    """PIDs of Xwayland processes serving the session that owns runtime_dir.

    wlroots double-forks Xwayland, so it is not our child; its environment
    names the session's private XDG_RUNTIME_DIR.
    """
    found = []
    needle = f"XDG_RUNTIME_DIR={runtime_dir}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", "rb") as f:
                if f.read().strip() != b"Xwayland":
                    continue
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def pids_in_session(sid):
    """Every process of session sid."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if int(_stat_fields(entry)[3]) == sid:  # field 6: session
                out.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return out


def is_zombie(pid):
    try:
        return _stat_fields(pid)[0] == "Z"
    except OSError:
        return True


def proc_cpu(pid):
    """User + system CPU seconds of pid (all its threads), None if it is gone."""
    try:
        fields = _stat_fields(pid)
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
    """A kB figure of /proc/PID/status (VmRSS, VmHWM, ...), 0 if there is none."""
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
    """CPU seconds the whole machine has been busy since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return (sum(v[:8]) - idle) / CLK_TCK
