"""One benchmark run: preparing the build, the items (run x target x
workload) and running each on a fresh server, results.json, results.md and
the plots; main() is bench/run.py's."""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

from .common import HERE, REPO, SIZE, TYPING_RATE, log
from .measure import Measure
from .processes import kill_everything, stop_on_signals
from .report import plots, summarize, write_markdown
from .targets import BASELINE, TARGETS, SpiceWl, check_target, make_target
from .workloads import WORKLOAD_BY_NAME, WORKLOAD_GROUPS, WORKLOADS


class Ctx:
    """Where prepare() put what the targets and workloads run."""


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


def run_item(ctx, target_name, workload, quick, shot=None):
    """One workload on a fresh target: its numbers over the window."""
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


def applicable(target, workload):
    return WORKLOAD_BY_NAME[workload].applies(target)


def parse_args(doc):
    ap = argparse.ArgumentParser(description=doc,
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
    if args.workloads in WORKLOAD_GROUPS:
        args.workloads = ",".join(WORKLOAD_GROUPS[args.workloads])
    if args.smoke:
        args.quick = True
        if args.targets == ",".join(TARGETS):
            args.targets = "spice-wl-auto"
        if args.workloads == ",".join(WORKLOADS):
            args.workloads = "typing,drag,idle-client,latency"
    return args


def check_args(args):
    """Runs per item, targets and workloads; exits with a message on bad ones."""
    if args.baseline not in TARGETS:
        sys.exit(f"unknown baseline {args.baseline}; known: {', '.join(TARGETS)}")
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
    return runs, targets, workloads


def report_only(out, baseline):
    """Rewrites results.md and the plots from out/results.json."""
    with open(os.path.join(out, "results.json")) as f:
        data = json.load(f)
    meta = data["meta"]
    baseline = meta.get("baseline", baseline)
    summary = summarize(data["raw"], meta["targets"], meta["workloads"], baseline)
    write_markdown(os.path.join(out, "results.md"), summary, meta, meta["targets"],
                   meta["workloads"], data["errors"], baseline)
    plots(os.path.join(out, "plots"), summary, meta["targets"], meta["workloads"])
    return 0


def skip_missing(targets):
    """Drops the targets that cannot run here from targets; returns why, per target."""
    skipped = {}
    for t in list(targets):
        why = check_target(t)
        if why:
            skipped[t] = why
            targets.remove(t)
            log(f"bench: skipping {t}: {why}")
    return skipped


def run_items(ctx, items, args, out):
    """Runs every item; returns the raw results per target and workload, and the errors."""
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
    return raw, errors


def run_meta(args, runs, total, skipped, targets, workloads):
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "runs": runs, "quick": args.quick, "window_s": 3.0 if args.quick else 10.0,
            "typing_chars": int(3.0 * TYPING_RATE) if args.quick else 600,
            "size": f"{SIZE[0]}x{SIZE[1]}", "baseline": args.baseline,
            "machine": f"{os.cpu_count()} cores, {os.uname().release}",
            "total_seconds": round(total, 1), "skipped": skipped,
            "targets": targets, "workloads": workloads,
            "spice_wl_commit": subprocess.run(["git", "-C", REPO, "describe", "--always",
                                               "--dirty"], capture_output=True,
                                              text=True).stdout.strip()}


def main(doc):
    args = parse_args(doc)
    runs, targets, workloads = check_args(args)
    # Absolute: the clients that save screenshots run in /.
    out = os.path.abspath(args.out or os.path.join(
        HERE, "results", datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
    os.makedirs(out, exist_ok=True)
    if args.report_only:
        return report_only(out, args.baseline)
    stop_on_signals()

    t_start = time.monotonic()
    ctx = Ctx()
    log("bench: installing dependencies and building ...")
    prepare(ctx, os.path.abspath(args.build), args.smoke)
    skipped = skip_missing(targets)
    items = [(r, t, w) for r in range(1, runs + 1) for t in targets for w in workloads
             if applicable(t, w)]
    raw, errors = run_items(ctx, items, args, out)

    summary = summarize(raw, targets, workloads, args.baseline)
    total = time.monotonic() - t_start
    meta = run_meta(args, runs, total, skipped, targets, workloads)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "summary": summary, "raw": raw, "errors": errors}, f,
                  indent=1, sort_keys=True)
    write_markdown(os.path.join(out, "results.md"), summary, meta, targets, workloads, errors,
                   args.baseline)
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

