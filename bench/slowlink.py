#!/usr/bin/python3
"""Slow-link workload: key presses while a video plays, through bench/linkemu.py.

The screen shows what tests/clients/swl-test-client --echo-keys --video
draws: a 480x360 area at 0,40 where every pixel changes every frame, and a
16x16 mark (a new colour each time) for every key press. Wayland targets run
that client as spice-wl's COMMAND; X11 targets run `xbench slowlink`
(bench/xbench.c: the same pixels from an X client, the video 30 frames/s).
For each target and link the probe connects through the emulator, the video
plays for a few seconds, then N keys are pressed one at a time, 300 ms apart
after each echo: the latency of one key is from the probe's key command to
the mark's colour on the probe's screen. Reports p50/p90/max, display bytes
and Mbit/s, the video's delivered frame rate (updates that change pixels of
the video, counted by the probe's `watch`) and display updates a second.

  bench/slowlink.py BUILD_DIR [--links 8:40,2:100,0.5:200] [--loopback]
                    [--targets T,T,...|all] [--runs N] [--keys 20]
                    [--no-video] [--out DIR [--report-only]] [spice-wl options]

One JSON line per target, link and run on stdout; the Markdown table on
stderr, or with --out in DIR/results.md next to DIR/results.jsonl. The
default target is spice-wl-auto alone (spice-wl with its defaults and the
given options); XSpice targets need root. See bench/README.md.
"""

import sys

# bench/typing.py must not shadow the standard library's typing.
if __name__ == "__main__":
    sys.path.pop(0)

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.append(HERE)
import linkemu  # noqa: E402
# Everything this takes from the comparison bench (targets, processes, the
# probe client), in one place.
from swlbench.clients import Client  # noqa: E402
from swlbench.common import SIZE, log  # noqa: E402
from swlbench.processes import kill_everything, spawn, stop  # noqa: E402
from swlbench.processes import lines as Lines  # noqa: E402
from swlbench.runner import Ctx, prepare  # noqa: E402
from swlbench.targets import SpiceWl, XSpice, check_target  # noqa: E402
from swlproc import free_port  # noqa: E402

# Wayland targets: spice-wl options before the command line's own.
WAYLAND_TARGETS = {
    "spice-wl-auto": [],
    "spice-wl-dfps10": ["--frame-mode", "dfps", "--fps", "10"],
    "spice-wl-perop": ["--frame-mode", "per-op"],
}
TARGETS = list(WAYLAND_TARGETS) + ["spice-wl-auto-x11", "xspice-dfps10", "xspice-perop"]
DEFAULT_LINKS = "8:40,2:100,0.5:200"
# Pixels of the video whose changes count its delivered frames: near its
# corners and its centre, away from the key marks (row 8..24).
VIDEO_WATCH = [(2, 42), (477, 42), (2, 397), (477, 397), (240, 220)]


def mark(n):
    """Where the test client draws its n-th key mark, and its colour."""
    color = (0x400000 * (n % 4) + 0x2040c0 + 0x10 * (n % 8)) & 0xffffff
    return 8 + (n % 32) * 16 + 8, 16, color


def parse_links(spec, loopback):
    """[(mbit, rtt_ms)], (0, 0) for loopback."""
    links = [(0.0, 0.0)] if loopback else []
    for item in spec.split(","):
        if item == "loopback":
            links.append((0.0, 0.0))
            continue
        try:
            mbit, rtt = (float(v) for v in item.split(":"))
        except ValueError:
            sys.stderr.write(f"slowlink: bad link {item!r}: want MBIT:RTT_MS or loopback\n")
            sys.exit(2)
        links.append((mbit, rtt))
    return links


def link_name(mbit, rtt_ms):
    return f"{mbit} Mbit/s {rtt_ms} ms" if mbit else "loopback"


def keep_log(path, logs, item):
    """Copies a server log to the run's log directory (the target's goes)."""
    dst = os.path.join(logs, item + ".log")
    shutil.copyfile(path, dst)
    return dst


def exit_log(path):
    """spice-wl's exit statistics: frames sent and the link it measured."""
    with open(path, errors="replace") as f:
        lines = [l.strip() for l in f if "link:" in l or "sent " in l]
    return lines[-2:]


class WaylandTarget:
    """spice-wl running swl-test-client as its COMMAND (kiosk policy, so the
    client fills the screen): what slowlink.py measured first."""

    def __init__(self, ctx, options, video):
        self.ctx = ctx
        self.options = options
        self.video = video
        self.procs = []

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="swl-slowlink-")
        os.chmod(self.tmp, 0o700)
        self.port = free_port()
        client = [self.ctx.test_client, "--echo-keys"] + (["--video"] if self.video else [])
        self.log = open(os.path.join(self.tmp, "spice-wl.log"), "wb")
        p = spawn([self.ctx.spice_wl, "--disable-ticketing", "--port", str(self.port),
                   "--size", f"{SIZE[0]}x{SIZE[1]}"] + self.options + ["--"] + client,
                  env=dict(os.environ, XDG_RUNTIME_DIR=self.tmp), stdout=subprocess.PIPE,
                  stderr=self.log)
        self.procs.append(p)
        out = Lines(p, "spice-wl")
        out.wait_for(lambda l: l.startswith("spice://"), 30)
        out.drain()  # the client's key lines

    def stop(self):
        for p in reversed(self.procs):
            stop(p)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def start_x11(target, ctx, video):
    """An X server target with `xbench slowlink` (or echo) at 0,0, focused."""
    target.start()
    title = "xbench-slowlink" if video else "xbench-echo"
    p = target.run_client([ctx.xbench, title.split("-")[1]], stdout=subprocess.PIPE)
    lines = Lines(p, "xbench")
    lines.wait_for(lambda l: l == "mapped", 30)
    lines.drain()
    target.focus(target.find_window(title))


def make_target(name, ctx, args, extra):
    if name in WAYLAND_TARGETS:
        return WaylandTarget(ctx, WAYLAND_TARGETS[name] + extra, not args.no_video)
    if name == "spice-wl-auto-x11":
        t = SpiceWl("spice-wl-auto", ctx)
        t.name = name
        t.variant = t.variant + extra
        # Like the Wayland targets (and XSpice, which has no window manager):
        # the window fills the screen at 0,0, without a title bar.
        t.policy = "--kiosk"
        return t
    if name in ("xspice-dfps10", "xspice-perop"):
        return XSpice(name, ctx)
    raise ValueError(name)


def percentile(values, q):
    """The value q% of the samples are at or below (nearest rank)."""
    v = sorted(values)
    return v[max(0, -(-len(v) * q // 100) - 1)]


def key_phase(args, probe):
    """The video plays args.warmup s, then args.keys echoed key presses."""
    probe.cmd("watch " + " ".join(f"{x} {y}" for x, y in VIDEO_WATCH))
    # The video plays a while first, so queues are as full as they get.
    time.sleep(args.warmup)
    s0 = json.loads(probe.cmd("stats"))
    t0 = time.monotonic()
    lat = []
    for n in range(args.keys):
        x, y, color = mark(n)
        start = time.monotonic()
        probe.cmd("key 1e")
        reply = probe.cmd(f"wait-pixel {x} {y} {color:06x} 20000", 30)
        ms = (time.monotonic() - start) * 1000
        lat.append(ms if reply == "ok" else float("inf"))
        time.sleep(0.3)
    s1 = json.loads(probe.cmd("stats"))
    return lat, s0, s1, time.monotonic() - t0


def run_item(args, ctx, extra, name, mbit, rtt_ms, item):
    t = make_target(name, ctx, args, extra)
    link_stop = probe = None
    try:
        if isinstance(t, WaylandTarget):
            t.start()
        else:
            start_x11(t, ctx, not args.no_video)
        port, link_stats = t.port, None
        if mbit:
            port, link_stop, link_stats = linkemu.start(t.port, mbit, rtt_ms)
        probe = Client([ctx.probe, "--host", "127.0.0.1", "--port", str(port), "session"],
                       f"{name} probe", env={k: v for k, v in os.environ.items()
                                             if k != "SPICE_WL_PASSWORD"})
        lat, s0, s1, secs = key_phase(args, probe)
        probe.close()
        probe = None
        display = s1["channels"]["display"] - s0["channels"]["display"]
        frames = [b - a for a, b in zip(s0["watch"], s1["watch"])]
        r = {
            "target": name,
            "link": link_name(mbit, rtt_ms),
            "video": not args.no_video,
            "options": " ".join(extra) or "(defaults)",
            "p50_ms": round(percentile(lat, 50), 1),
            "p90_ms": round(percentile(lat, 90), 1),
            "max_ms": round(max(lat), 1),
            "latencies_ms": [round(v, 1) for v in lat],
            "display_bytes": display,
            "mbit_s": round(display * 8 / secs / 1e6, 2),
            "video_fps": round(statistics.median(frames) / secs, 1),
            "video_fps_min": round(min(frames) / secs, 1),
            "updates_per_s": round((s1["display_updates"] - s0["display_updates"]) / secs, 1),
        }
        if link_stats:
            r["link_max_queued"] = link_stats()["down_max_queued"]
        if name.startswith("spice-wl"):
            for p in t.procs:
                stop(p)  # spice-wl logs its statistics as it exits
            r["exit_log"] = exit_log(t.log.name)
            r["log"] = keep_log(t.log.name, args.logs, item)
        return r
    finally:
        if probe:
            probe.close()
        if link_stop:
            link_stop()
        t.stop()
        kill_everything()


# ----------------------------------------------------------------------------
# results


def summarize(results):
    """{(target, link): medians over the runs, and every run's p90}."""
    groups = {}
    for r in results:
        if "error" not in r:
            groups.setdefault((r["target"], r["link"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        s = {k: statistics.median(r[k] for r in rs)
             for k in ("p50_ms", "p90_ms", "max_ms", "display_bytes", "mbit_s", "video_fps",
                       "updates_per_s")}
        s["p90_runs"] = [r["p90_ms"] for r in sorted(rs, key=lambda r: r["run"])]
        s["runs"] = len(rs)
        out[key] = s
    return out


def fmt_ms(v):
    return "timeout" if v == float("inf") else f"{v:.0f}"


def fmt_link(name):
    if name == "loopback":
        return name
    mbit, _, rtt, _ = name.split()
    return f"{float(mbit):g} Mbit/s, {float(rtt):g} ms RTT"


def markdown(results, meta):
    summary = summarize(results)
    links = list(dict.fromkeys(r["link"] for r in results))
    targets = [t for t in TARGETS if any(r["target"] == t for r in results)]
    runs = meta["runs"]
    out = ["# Slow-link bench", "",
           f"`{meta['command']}`", "",
           f"Date: {meta['date']}; spice-wl {meta['commit']}; {runs} run(s), medians over "
           f"runs; {meta['keys']} key presses per run, each 300 ms after the previous echo, "
           f"after {meta['warmup']:g} s of video; machine: {meta['machine']}.", "",
           "Keystroke latency: probe `key` to the echo's pixel on the probe's screen, "
           + ("while the 480x360 video plays. " if meta["video"] else "no video. ")
           + "p50 / p90 / max are the medians over runs of each run's figure; *p90 each run* "
           "lists them. Bytes and Mbit/s: display channel, server to client, over the key "
           "phase. Video fps: updates that changed the video's pixels per second (median of "
           f"{len(VIDEO_WATCH)} watched pixels), what the client saw of the video; updates/s: "
           "all display updates.", "",
           "| link | target | p50 ms | p90 ms | max ms | p90 each run | display MB | Mbit/s "
           "| video fps | updates/s |",
           "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    for link in links:
        for t in targets:
            s = summary.get((t, link))
            if s is None:
                continue
            out.append(f"| {fmt_link(link)} | {t} | {fmt_ms(s['p50_ms'])} | "
                       f"{fmt_ms(s['p90_ms'])} | {fmt_ms(s['max_ms'])} | "
                       f"{', '.join(fmt_ms(v) for v in s['p90_runs'])} | "
                       f"{s['display_bytes'] / 1e6:.2f} | {s['mbit_s']:.2f} | "
                       f"{s['video_fps']:.1f} | {s['updates_per_s']:.1f} |")
    errors = [r for r in results if "error" in r]
    if errors:
        out += ["", "## Errors", ""]
        out += [f"- {r['target']} {r['link']} run {r['run']}: {r['error']}" for r in errors]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------
# main


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build", help="meson build directory of spice-wl (used as it is)")
    ap.add_argument("--links", default=DEFAULT_LINKS,
                    help=f"MBIT:RTT_MS,... or loopback (default {DEFAULT_LINKS})")
    ap.add_argument("--loopback", action="store_true", help="loopback first, no emulator")
    ap.add_argument("--targets", default="spice-wl-auto",
                    help=f"comma-separated, or all: {', '.join(TARGETS)}")
    ap.add_argument("--runs", type=int, default=1, help="runs of every target and link")
    ap.add_argument("--keys", type=int, default=20)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--out", help="write DIR/results.jsonl and DIR/results.md")
    ap.add_argument("--report-only", action="store_true",
                    help="only rewrite DIR/results.md from DIR/results.jsonl")
    args, extra = ap.parse_known_args()
    if args.report_only:
        if not args.out:
            ap.error("--report-only needs --out")
        with open(os.path.join(args.out, "results.jsonl")) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write(markdown(lines[1:], lines[0]["meta"]))
        return 0
    targets = TARGETS if args.targets == "all" else [t for t in args.targets.split(",") if t]
    for t in targets:
        if t not in TARGETS:
            ap.error(f"unknown target {t}; known: {', '.join(TARGETS)}")
    if args.runs < 1 or args.keys < 1:
        ap.error("--runs and --keys must be at least 1")
    links = parse_links(args.links, args.loopback)
    for t in targets:
        why = check_target("spice-wl-auto" if t in WAYLAND_TARGETS or t == "spice-wl-auto-x11"
                           else t)
        if t.startswith("xspice") and os.geteuid() != 0:
            why = "Xorg needs root"
        if why:
            ap.error(f"cannot run {t}: {why}")
    build = os.path.abspath(args.build)
    ctx = Ctx()
    # Paths of the build's binaries, and xbench compiled into it, as run.py does.
    prepare(ctx, build, smoke=True)
    if args.out:
        args.out = os.path.abspath(args.out)
        os.makedirs(args.out, exist_ok=True)
    args.logs = tempfile.mkdtemp(prefix="swl-slowlink-logs-")
    meta = {"command": " ".join(["bench/slowlink.py"] + sys.argv[1:]),
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "commit": subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                     capture_output=True, text=True).stdout.strip(),
            "runs": args.runs, "keys": args.keys, "warmup": args.warmup,
            "video": not args.no_video, "machine": f"{os.cpu_count()} cores",
            "targets": targets, "links": [link_name(*l) for l in links]}
    jsonl = open(os.path.join(args.out, "results.jsonl"), "w") if args.out else None
    if jsonl:
        jsonl.write(json.dumps({"meta": meta}) + "\n")
    results = []
    items = [(r, l, t) for r in range(1, args.runs + 1) for l in links for t in targets]
    for i, (run, (mbit, rtt), name) in enumerate(items, 1):
        log(f"[{i}/{len(items)}] {name} {link_name(mbit, rtt)} run {run} ...")
        item = f"{name}-{mbit:g}-{rtt:g}-{run}"
        try:
            r = run_item(args, ctx, extra, name, mbit, rtt, item)
        except Exception as e:  # noqa: BLE001 - one failed item must not stop the run
            r = {"target": name, "link": link_name(mbit, rtt),
                 "error": f"{type(e).__name__}: {e}"}
            log(f"slowlink:   FAILED: {r['error']}")
        r["run"] = run
        results.append(r)
        print(json.dumps(r), flush=True)
        if jsonl:
            jsonl.write(json.dumps(r) + "\n")
            jsonl.flush()
    table = markdown(results, meta)
    if args.out:
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write(table)
        log(f"slowlink: results in {args.out}, spice-wl logs in {args.logs}")
    else:
        sys.stderr.write("\n" + table)
    return 1 if all("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
