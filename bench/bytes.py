#!/usr/bin/python3
"""What spice-wl's display bytes are made of, per workload: the client (the
probe) connects through bench/spiceproxy.py, which counts the server's
display-channel messages by type and the image types spice-server chose.
One spice-wl per workload, a fixed window, about 15 s each.

  bench/bytes.py BUILD_DIR [--workloads type-foot,print-foot,anim-shm]
                 [--seconds 10] [--json] [spice-wl options]

Workloads:
  type-foot, type-weston-terminal, type-xterm: 33 characters/s into the
      terminal running cat (as bench/typing.py).
  print-foot: foot printing 300 unique lines/s (line number, SHA-1,
      nanoseconds), as bench/run.py's scroll workload prints into xterm.
  anim-shm: weston-presentation-shm (a 250x250 shm animation).
  anim-egl: weston-simple-egl -f (full screen; on llvmpipe, CPU-heavy).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import spiceproxy  # noqa: E402
from swlbench.workloads import SCROLL_GEN  # noqa: E402

# The same text generator as run.py's scroll workloads: unique lines at a set rate.
PRINT_GEN = SCROLL_GEN

FONT = ["-o", "font=Monospace:size=12"]
WORKLOADS = {
    "type-foot": ["foot"] + FONT + ["cat"],
    "type-weston-terminal": ["weston-terminal", "--shell=/bin/cat"],
    "type-xterm": ["xterm", "-geometry", "80x24+0+0", "-fa", "Monospace", "-fs", "12", "-e",
                   "cat"],
    "print-foot": ["foot"] + FONT + ["python3", "-c", PRINT_GEN, "{trigger}", "{seconds}", "300"],
    "anim-shm": ["weston-presentation-shm"],
    "anim-egl": ["weston-simple-egl", "-f"],
}
EXIT_STATS = re.compile(r"sent (\d+) commits as (\d+) images \((\d+) pixels\), (\d+) fills "
                        r"and (\d+) copies")
TEXT = "the quick brown fox jumps over the lazy dog 0123456789 "


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(build, workload, seconds, extra):
    from harness import free_port, LineReader, xwayland_of
    runtime = tempfile.mkdtemp(prefix="swl-bytes-")
    os.chmod(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    trigger = os.path.join(runtime, "go")
    app = [a.replace("{trigger}", trigger).replace("{seconds}", str(seconds))
           for a in WORKLOADS[workload]]
    port = free_port()
    log = open(os.path.join(runtime, "spice-wl.log"), "w+")
    server = subprocess.Popen([os.path.join(build, "compositor", "spice-wl"),
                               "--disable-ticketing", "--port", str(port), "--size", "1280x800"] +
                              extra + ["--"] + app, stdout=subprocess.PIPE, stderr=log, env=env)
    out = LineReader(server.stdout, "spice-wl")
    out.wait_for(lambda l: l.startswith("spice://"))
    pport, stats = spiceproxy.start(port)
    session = subprocess.Popen([os.path.join(build, "tools", "spice-wl-probe"), "--port",
                                str(pport), "session"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=env)
    pout = LineReader(session.stdout, "probe")
    pout.wait_for(lambda l: l.startswith("connected"))

    def cmd(line, timeout=60):
        session.stdin.write((line + "\n").encode())
        session.stdin.flush()
        return pout.wait_for(lambda l: not l.startswith("primary"), timeout)

    deadline = time.monotonic() + 30
    while workload == "type-xterm" and not xwayland_of(runtime) and time.monotonic() < deadline:
        cmd("quiet 300 5000")
    if workload.startswith("anim-"):
        time.sleep(2)
    else:
        cmd("quiet 1000 15000")
    pids = [server.pid] + xwayland_of(runtime)
    cpu0 = sum(cpu_seconds(p) for p in pids)
    snap0 = stats.snapshot()
    start = time.monotonic()
    if workload.startswith("type-"):
        rate = 33
        for i in range(int(seconds * rate)):
            c = TEXT[i % len(TEXT)]
            cmd("type " + c if c != " " else "key 39")
            delay = start + (i + 1) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        cmd("quiet 300 10000")
    elif workload == "print-foot":
        open(trigger, "w").close()
        time.sleep(seconds)
        cmd("quiet 300 10000")
    else:
        time.sleep(seconds)
    snap1 = stats.snapshot()
    cpu1 = sum(cpu_seconds(p) for p in pids)
    cmd("quit")
    server.terminate()
    server.wait()
    session.wait()
    log.seek(0)
    result = {"workload": workload, "options": " ".join(extra) or "(defaults)",
              "seconds": round(time.monotonic() - start, 1), "cpu_s": round(cpu1 - cpu0, 2)}
    result.update(spiceproxy.diff(snap0, snap1))
    found = EXIT_STATS.search(log.read())
    if found:
        result["exit_log"] = {"commits": int(found[1]), "images": int(found[2]),
                              "pixels": int(found[3]), "fills": int(found[4]),
                              "copies": int(found[5])}
    return result


def summary(r):
    msgs = r["msgs"]
    cmds = sum(v[0] for k, v in msgs.items() if k.startswith("draw_") or k == "copy_bits")
    parts = ", ".join(f"{k} {v[0]}x/{v[1]}B" for k, v in sorted(msgs.items()))
    imgs = ", ".join(f"{k} {v[0]}x/{v[1]}B/{v[2]}px" for k, v in sorted(r["images"].items()))
    return (f"{r['workload']:<14} {r['total']:>9} B  {cmds:>5} commands  cpu {r['cpu_s']} s  "
            f"[{parts}]  "
            f"images [{imgs}]")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--workloads", default="type-foot,print-foot,anim-shm")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--json", action="store_true")
    args, extra = ap.parse_known_args()
    for w in args.workloads.split(","):
        if w not in WORKLOADS:
            sys.exit(f"unknown workload {w}; known: {', '.join(WORKLOADS)}")
        r = run(args.build, w, args.seconds, extra)
        print(json.dumps(r) if args.json else summary(r), flush=True)


if __name__ == "__main__":
    main()
