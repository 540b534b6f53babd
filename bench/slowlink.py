#!/usr/bin/python3
"""Slow-link workload: key presses while a video plays, through bench/linkemu.py.

spice-wl runs tests/clients/swl-test-client --echo-keys --video: a 480x360
area where every pixel changes every frame, and a 16x16 mark drawn (a new
colour each time) for every key press. For each link the probe connects
through the emulator, the video plays for a few seconds, then N keys are
pressed one at a time, 300 ms apart after each echo: the latency of one key
is from the probe's key command to the mark's colour on the probe's screen.
Reports p50/p90/max, display bytes, display updates a second (the video's
delivered frame rate, near enough: the marks are a few of them).

  bench/slowlink.py BUILD_DIR [--links 8:40,2:100,0.5:200] [--keys 20]
                    [--no-video] [spice-wl options]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, HERE)
import linkemu  # noqa: E402


def mark(n):
    """Where the test client draws its n-th key mark, and its colour."""
    color = (0x400000 * (n % 4) + 0x2040c0 + 0x10 * (n % 8)) & 0xffffff
    return 8 + (n % 32) * 16 + 8, 16, color


def run_link(args, extra, mbit, rtt_ms):
    from harness import free_port, LineReader
    runtime = tempfile.mkdtemp(prefix="swl-slowlink-")
    os.chmod(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    port = free_port()
    client = [os.path.join(args.build, "tests", "clients", "swl-test-client"), "--echo-keys"]
    if not args.no_video:
        client.append("--video")
    log = open(os.path.join(runtime, "spice-wl.log"), "w+")
    server = subprocess.Popen([os.path.join(args.build, "compositor", "spice-wl"),
                               "--disable-ticketing", "--port", str(port), "--size", "1280x800"]
                              + extra + ["--"] + client,
                              stdout=subprocess.PIPE, stderr=log, env=env)
    out = LineReader(server.stdout, "spice-wl")
    out.wait_for(lambda l: l.startswith("spice://"))
    target = port
    stop = stats = None
    if mbit:
        target, stop, stats = linkemu.start(port, mbit, rtt_ms)
    session = subprocess.Popen([os.path.join(args.build, "tools", "spice-wl-probe"),
                                "--port", str(target), "session"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=env)
    pout = LineReader(session.stdout, "probe")
    pout.wait_for(lambda l: l.startswith("connected"), 60)

    def cmd(line, timeout=60):
        session.stdin.write((line + "\n").encode())
        session.stdin.flush()
        return pout.wait_for(lambda l: not l.startswith("primary"), timeout)

    # The video plays a while first, so queues are as full as they get.
    time.sleep(args.warmup)
    s0 = json.loads(cmd("stats"))
    t0 = time.monotonic()
    lat = []
    for n in range(args.keys):
        x, y, color = mark(n)
        start = time.monotonic()
        cmd("key 1e")
        reply = cmd(f"wait-pixel {x} {y} {color:06x} 20000", 30)
        ms = (time.monotonic() - start) * 1000
        lat.append(ms if reply == "ok" else float("inf"))
        time.sleep(0.3)
    s1 = json.loads(cmd("stats"))
    secs = time.monotonic() - t0
    cmd("quit")
    session.wait(10)
    server.terminate()
    server.wait(10)
    if stop:
        stop()
    log.seek(0)
    exit_log = [l.strip() for l in log.read().splitlines() if "link:" in l or "sent " in l]
    lat.sort()
    n = len(lat)
    return {
        "link": f"{mbit} Mbit/s {rtt_ms} ms" if mbit else "loopback",
        "video": not args.no_video,
        "options": " ".join(extra) or "(defaults)",
        "p50_ms": round(lat[(n - 1) // 2], 1),
        "p90_ms": round(lat[(9 * n + 9) // 10 - 1], 1),
        "max_ms": round(lat[-1], 1),
        "display_bytes": s1["channels"]["display"] - s0["channels"]["display"],
        "mbit_s": round((s1["channels"]["display"] - s0["channels"]["display"]) * 8 / secs / 1e6,
                        2),
        "updates_per_s": round((s1["display_updates"] - s0["display_updates"]) / secs, 1),
        "exit_log": exit_log[-2:],
        "log": log.name,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--links", default="0:0,8:40,2:100,0.5:200")
    ap.add_argument("--keys", type=int, default=20)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--no-video", action="store_true")
    args, extra = ap.parse_known_args()
    for spec in args.links.split(","):
        mbit, rtt = (float(v) for v in spec.split(":"))
        print(json.dumps(run_link(args, extra, mbit, rtt)), flush=True)


if __name__ == "__main__":
    main()
