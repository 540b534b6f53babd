#!/usr/bin/python3
"""Types into a terminal under spice-wl for a fixed time at a fixed rate and
reports display-channel bytes, spice-wl (+ Xwayland) CPU seconds, and the
images and pixels spice-wl's exit log says it sent (whole session: the
first full frame included). About 20 s per run.

  bench/typing.py BUILD_DIR [--app xterm|foot|weston-terminal] [--seconds 10]
                  [--rate 33] [spice-wl options]

xterm runs through Xwayland; foot and weston-terminal damage whole rows.
Each runs cat, so what is typed is echoed once and nothing else changes.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


APPS = {
    "xterm": ["xterm", "-geometry", "80x24+0+0", "-fa", "Monospace", "-fs", "12", "-e", "cat"],
    "foot": ["foot", "-o", "font=Monospace:size=12", "cat"],
    "weston-terminal": ["weston-terminal", "--shell=/bin/cat"],
}
EXIT_STATS = re.compile(r"sent (\d+) commits as (\d+) images \((\d+) pixels\), (\d+) fills "
                        r"and (\d+) copies")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=float, default=33)
    ap.add_argument("--app", choices=APPS, default="xterm")
    args, extra = ap.parse_known_args()

    from harness import free_port, LineReader, xwayland_of
    runtime = tempfile.mkdtemp(prefix="swl-bench-")
    os.chmod(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    port = free_port()
    spice_wl = os.path.join(args.build, "compositor", "spice-wl")
    probe = os.path.join(args.build, "tools", "spice-wl-probe")
    log = open(os.path.join(runtime, "spice-wl.log"), "w+")
    server = subprocess.Popen([spice_wl, "--disable-ticketing", "--port", str(port),
                               "--size", "1280x800"] + extra + ["--"] + APPS[args.app],
                              stdout=subprocess.PIPE, stderr=log, env=env)
    out = LineReader(server.stdout, "spice-wl")
    out.wait_for(lambda l: l.startswith("spice://"))
    session = subprocess.Popen([probe, "--port", str(port), "session"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=env)
    pout = LineReader(session.stdout, "probe")
    pout.wait_for(lambda l: l.startswith("connected"))

    def cmd(line):
        session.stdin.write((line + "\n").encode())
        session.stdin.flush()
        return pout.wait_for(lambda l: not l.startswith("primary"), 60)

    # Let the terminal come up and the screen settle before measuring.
    deadline = time.monotonic() + 30
    while args.app == "xterm" and not xwayland_of(runtime) and time.monotonic() < deadline:
        cmd("quiet 300 5000")
    cmd("quiet 1000 15000")
    pids = [server.pid] + xwayland_of(runtime)
    stats0 = json.loads(cmd("stats"))
    cpu0 = sum(cpu_seconds(p) for p in pids)

    text = "the quick brown fox jumps over the lazy dog 0123456789 "
    n = int(args.seconds * args.rate)
    start = time.monotonic()
    for i in range(n):
        cmd("type " + text[i % len(text)] if text[i % len(text)] != " " else "key 39")
        target = start + (i + 1) / args.rate
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    cmd("quiet 300 10000")
    stats1 = json.loads(cmd("stats"))
    cpu1 = sum(cpu_seconds(p) for p in pids)
    result = {
        "app": args.app,
        "options": " ".join(extra) or "(defaults)",
        "chars": n,
        "seconds": round(time.monotonic() - start, 2),
        "display_bytes": stats1["channels"]["display"] - stats0["channels"]["display"],
        "display_updates": stats1["display_updates"] - stats0["display_updates"],
        "cpu_seconds": round(cpu1 - cpu0, 3),
    }
    cmd("quit")
    server.terminate()
    server.wait()
    log.seek(0)
    found = EXIT_STATS.search(log.read())
    if found:
        result.update(images=int(found[2]), pixels=int(found[3]), fills=int(found[4]),
                      copies=int(found[5]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
