#!/usr/bin/python3
"""spice-wl soak test: one session for a long time, with a real SPICE client
(spice-wl-probe) connecting and disconnecting over and over while a Wayland
client animates and an X11 client (through Xwayland) repaints.

  bench/soak.py [--minutes M] [--out DIR] [--build DIR] [--frame-mode MODE]
                [--interval S] [--no-x11]

Every --interval seconds it samples RSS, open fds and CPU time of spice-wl
(and of Xwayland) from /proc. Every cycle it changes what both clients show,
connects a probe, checks that the probe sees exactly that (the current
screen) and that animation updates keep arriving, stays a random 0.5..3 s,
and disconnects: cleanly (quit) or abruptly (SIGKILL of the probe, a client
that vanishes mid-frame), alternately.

Writes DIR/soak.csv (the samples), DIR/soak.png (plot), DIR/summary.json and
DIR/summary.md. Exit status 0 when spice-wl survived and every reconnect saw
the right pixels, else 1. See bench/README.md.
"""

import argparse
import csv
import datetime
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import harness  # noqa: E402  (session start-up shared with the tests)
from harness import PATTERNS, LineReader, quadrant_points, xwayland_of  # noqa: E402
from swlbench.common import log  # noqa: E402  (shared with the benchmark)
from swlproc import proc_cpu, proc_status_kb  # noqa: E402

SIZE = (1280, 800)
# Desktop policy: the Wayland window is centred, the X window asks for 0,0.
WL_SIZE = (640, 480)
WL_POS = ((SIZE[0] - WL_SIZE[0]) // 2, (SIZE[1] - WL_SIZE[1]) // 2)
X_SIZE = (300, 150)
X_POS = (0, 0)
FIELDS = ["t_s", "rss_kb", "fds", "cpu_s", "xw_rss_kb", "xw_fds", "xw_cpu_s",
          "reconnects", "failures"]


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def build(build_dir):
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        subprocess.run(["meson", "setup", build_dir, REPO],
                       check=True, timeout=600, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", build_dir], check=True, timeout=1800,
                   stdout=subprocess.DEVNULL)
    harness.SPICE_WL = os.path.join(build_dir, "compositor", "spice-wl")
    harness.PROBE = os.path.join(build_dir, "tools", "spice-wl-probe")
    return (os.path.join(build_dir, "tests", "clients", "swl-test-client"),
            os.path.join(build_dir, "tests", "clients", "swl-x11-client"))


class Soak:

    def __init__(self, args, test_client, x11_client):
        self.args = args
        # What was built, not what the tree holds when the run ends.
        self.commit = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                     capture_output=True, text=True).stdout.strip()
        self.samples = []
        self.reconnects = 0
        self.failures = []
        self.stop = threading.Event()
        self.xclient = None
        self.xout = None
        self.xw_pid = None
        # COMMAND prints DISPLAY first (spice-wl sets it with --xwayland on),
        # then becomes the test client, whose stdin stays ours.
        script = f'echo "display=$DISPLAY"; exec {test_client} --size {WL_SIZE[0]}x' \
                 f'{WL_SIZE[1]} --animate'
        opts = ["--desktop", "--size", f"{SIZE[0]}x{SIZE[1]}", "--keep-running",
                "--frame-mode", args.frame_mode,
                "--xwayland", "off" if args.no_x11 else "on"]
        self.s = harness.Session(opts, ["/bin/sh", "-c", script])
        self.s.wait_ready()
        display = self.s.expect("display=").split("=", 1)[1]
        self.s.expect(f"ready {WL_SIZE[0]} {WL_SIZE[1]}")
        if not args.no_x11:
            env = dict(os.environ, DISPLAY=display, XDG_RUNTIME_DIR=self.s.runtime_dir)
            env.pop("WAYLAND_DISPLAY", None)
            self.xclient = subprocess.Popen(
                [x11_client, "--size", f"{X_SIZE[0]}x{X_SIZE[1]}", "--position",
                 f"{X_POS[0]},{X_POS[1]}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, env=env, start_new_session=True)
            self.xout = LineReader(self.xclient.stdout, "swl-x11-client")
            self.xout.wait_for(lambda l: l.startswith("ready"), 30)
            pids = xwayland_of(self.s.runtime_dir)
            self.xw_pid = pids[0] if pids else None
        self.t0 = time.monotonic()

    def alive(self):
        return self.s.proc.poll() is None

    def sample(self):
        pid = self.s.proc.pid
        row = {"t_s": round(time.monotonic() - self.t0, 1),
               "rss_kb": proc_status_kb(pid, "VmRSS"), "fds": fd_count(pid),
               "cpu_s": proc_cpu(pid), "xw_rss_kb": "", "xw_fds": "", "xw_cpu_s": "",
               "reconnects": self.reconnects, "failures": len(self.failures)}
        if self.xw_pid is not None and os.path.exists(f"/proc/{self.xw_pid}"):
            row.update(xw_rss_kb=proc_status_kb(self.xw_pid, "VmRSS"),
                       xw_fds=fd_count(self.xw_pid), xw_cpu_s=proc_cpu(self.xw_pid))
        self.samples.append(row)

    def sampler(self):
        while not self.stop.is_set():
            if self.alive():
                self.sample()
            self.stop.wait(self.args.interval)

    def fail(self, what):
        msg = f"cycle {self.reconnects + 1} at {time.monotonic() - self.t0:.0f} s: {what}"
        log("soak: FAILURE: " + msg)
        self.failures.append(msg)

    def x_send(self, line, reply):
        self.xclient.stdin.write((line + "\n").encode())
        self.xclient.stdin.flush()
        self.xout.wait_for(lambda l: l.startswith(reply), 20)

    def cycle(self, n):
        """One connect, check, disconnect. Returns False once spice-wl is gone."""
        pat = n % len(PATTERNS)
        # What the screen shows changes while no client is connected: the next
        # client must see the current screen, not what the last one saw.
        self.s.send(f"pattern {pat}")
        self.s.expect(f"drawn pattern {pat}", 20)
        expected = list(zip(quadrant_points(*WL_POS, *WL_SIZE), PATTERNS[pat]))
        if self.xclient is not None:
            xpat = (n + 3) % len(PATTERNS)
            self.x_send(f"pattern {xpat}", f"drawn pattern {xpat}")
            expected += list(zip(quadrant_points(*X_POS, *X_SIZE), PATTERNS[xpat]))
        try:
            p = self.s.probe_session()
        except AssertionError as e:
            self.fail(f"probe could not connect: {e}")
            return self.alive()
        try:
            for (x, y), color in expected:
                reply = p.wait_pixel(x, y, color, 5000)
                if reply != "ok":
                    self.fail(f"pixel {x},{y} should be {color}: {reply}")
                    break
            else:
                for _ in range(3):
                    if p.command("wait-update 5000", 10) != "ok":
                        self.fail("no display update from the animation")
                        break
            # Some input, so the inputs channel carries traffic too.
            p.command(f"move {WL_POS[0] + random.randrange(WL_SIZE[0])} "
                      f"{WL_POS[1] + random.randrange(WL_SIZE[1])}")
            time.sleep(random.uniform(0.5, 3.0))
        except AssertionError as e:
            self.fail(f"probe: {e}")
        finally:
            if n % 2:
                p.proc.kill()  # vanishes without a goodbye, mid-frame
                p.proc.wait()
            try:
                p.close()
            except OSError:
                pass  # the killed probe's pipes are gone: nothing to close cleanly
        self.reconnects += 1
        return self.alive()

    def run(self):
        t = threading.Thread(target=self.sampler, daemon=True)
        t.start()
        end = self.t0 + self.args.minutes * 60
        n = 0
        next_log = 0
        try:
            while time.monotonic() < end:
                try:
                    if not self.cycle(n):
                        break
                except AssertionError as e:
                    # The test client or X client stopped answering.
                    self.fail(f"client: {e}")
                    if not self.alive():
                        break
                n += 1
                if time.monotonic() > next_log:
                    last = self.samples[-1] if self.samples else {}
                    log(f"soak: {time.monotonic() - self.t0:5.0f} s, {self.reconnects} "
                        f"reconnects, {len(self.failures)} failures, RSS "
                        f"{last.get('rss_kb', 0) / 1024:.1f} MB, fds {last.get('fds')}")
                    next_log = time.monotonic() + 60
        finally:
            self.stop.set()
            t.join()
            if self.alive():
                self.sample()
            else:
                self.fail(f"spice-wl died (status {self.s.proc.poll()}); log tail:\n"
                          f"{self.s.stderr()[-2000:]}")
            if self.xclient is not None and self.xclient.poll() is not None:
                self.fail(f"the X11 client died (status {self.xclient.poll()})")
            if self.xw_pid is not None and not os.path.exists(f"/proc/{self.xw_pid}"):
                self.fail("Xwayland died")

    def close(self):
        if self.xclient is not None:
            if self.xclient.poll() is None:
                self.xclient.kill()
            self.xclient.wait()
            self.xclient.stdin.close()
            self.xclient.stdout.close()
        self.s.close()


def write_results(out, soak, args):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "soak.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(soak.samples)
    first, last = soak.samples[0], soak.samples[-1]
    # After a minute the caches (glz dictionary, pools, Xwayland) are warm:
    # growth from there on is what would add up over weeks.
    warm = next((r for r in soak.samples if r["t_s"] >= 60), first)
    dur = last["t_s"] - first["t_s"]
    summary = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": soak.commit,
        "machine": f"{os.cpu_count()} cores, {os.uname().release}",
        "minutes": args.minutes, "frame_mode": args.frame_mode, "x11": not args.no_x11,
        "duration_s": dur, "samples": len(soak.samples),
        "reconnects": soak.reconnects, "failures": soak.failures,
        "spice_wl_alive": soak.alive(),
        "rss_mb": {"start": first["rss_kb"] / 1024, "after_60s": warm["rss_kb"] / 1024,
                   "end": last["rss_kb"] / 1024,
                   "max": max(r["rss_kb"] for r in soak.samples) / 1024},
        "fds": {"start": first["fds"], "end": last["fds"],
                "max": max(r["fds"] for r in soak.samples if r["fds"] is not None)},
        "cpu_s": last["cpu_s"] - first["cpu_s"],
        "cpu_percent": 100 * (last["cpu_s"] - first["cpu_s"]) / dur if dur else 0,
    }
    xs = [r for r in soak.samples if r["xw_rss_kb"] != ""]
    if xs:
        summary["xwayland"] = {
            "rss_mb": {"start": xs[0]["xw_rss_kb"] / 1024, "end": xs[-1]["xw_rss_kb"] / 1024},
            "fds": {"start": xs[0]["xw_fds"], "end": xs[-1]["xw_fds"]},
            "cpu_s": xs[-1]["xw_cpu_s"] - xs[0]["xw_cpu_s"]}
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    r, fd = summary["rss_mb"], summary["fds"]
    lines = [
        f"# spice-wl soak, {summary['date']}",
        "",
        f"{dur / 60:.1f} min, {args.frame_mode}, 1280x800, an animating Wayland client"
        + ("" if args.no_x11 else " and an X11 client through Xwayland")
        + f"; commit {summary['commit']}, {summary['machine']}.",
        "",
        "| | start | after 60 s | end | max |",
        "| --- | --- | --- | --- | --- |",
        f"| spice-wl RSS (MB) | {r['start']:.1f} | {r['after_60s']:.1f} | {r['end']:.1f} | "
        f"{r['max']:.1f} |",
        f"| spice-wl open fds | {fd['start']} | {warm['fds']} | {fd['end']} | {fd['max']} |",
    ]
    if xs:
        x = summary["xwayland"]
        lines.append(f"| Xwayland RSS (MB) | {x['rss_mb']['start']:.1f} | | "
                     f"{x['rss_mb']['end']:.1f} | |")
        lines.append(f"| Xwayland open fds | {x['fds']['start']} | | {x['fds']['end']} | |")
    lines += [
        "",
        f"- reconnects survived: {soak.reconnects} (every second one an abrupt kill of "
        "the client)",
        f"- spice-wl CPU: {summary['cpu_s']:.1f} s ({summary['cpu_percent']:.1f} % of one "
        "core)" + (f", Xwayland {summary['xwayland']['cpu_s']:.1f} s" if xs else ""),
        f"- spice-wl alive at the end: {'yes' if summary['spice_wl_alive'] else 'NO'}",
        f"- failures: {len(soak.failures)}",
    ]
    lines += [f"  - {f}" for f in soak.failures]
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        plot(os.path.join(out, "soak.png"), soak.samples, args)
    except Exception as e:  # noqa: BLE001 - the numbers matter more than the picture
        log(f"soak: plot failed: {e}")
    return summary


def plot(path, samples, args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = [r["t_s"] / 60 for r in samples]
    fig, (a1, a2, a3) = plt.subplots(3, 1, figsize=(8, 7), sharex=True)
    a1.plot(t, [r["rss_kb"] / 1024 for r in samples], label="spice-wl")
    xs = [(r["t_s"] / 60, r["xw_rss_kb"] / 1024) for r in samples if r["xw_rss_kb"] != ""]
    if xs:
        a1.plot(*zip(*xs), label="Xwayland")
    a1.set_ylabel("RSS (MB)")
    a1.set_ylim(bottom=0)
    a1.legend(loc="lower right")
    a2.plot(t, [r["fds"] for r in samples], label="spice-wl")
    xs = [(r["t_s"] / 60, r["xw_fds"]) for r in samples if r["xw_fds"] != ""]
    if xs:
        a2.plot(*zip(*xs), label="Xwayland")
    a2.set_ylabel("open fds")
    a2.set_ylim(bottom=0)
    a2.legend(loc="lower right")
    cpu = []
    for a, b in zip(samples, samples[1:]):
        dt = b["t_s"] - a["t_s"]
        # The final sample can follow the last periodic one closely: skip it.
        if dt >= 1:
            cpu.append((b["t_s"] / 60, 100 * (b["cpu_s"] - a["cpu_s"]) / dt))
    a3.plot(*zip(*cpu), label="spice-wl CPU %")
    ax = a3.twinx()
    ax.plot(t, [r["reconnects"] for r in samples], color="tab:gray", label="reconnects")
    ax.set_ylabel("reconnects")
    a3.set_ylabel("CPU (% of a core)")
    a3.set_xlabel("minutes")
    a3.set_ylim(bottom=0)
    a1.set_title(f"spice-wl soak ({args.frame_mode}, connect/disconnect cycles, animation)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--frame-mode", choices=["dfps", "per-op"], default="dfps")
    ap.add_argument("--no-x11", action="store_true", help="no X11 client (no Xwayland)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "soak"))
    ap.add_argument("--build", default="/tmp/spice-wl-soak/build",
                    help="meson build directory (made if missing)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    log("soak: building ...")
    test_client, x11_client = build(os.path.abspath(args.build))
    soak = Soak(args, test_client, x11_client)
    log(f"soak: session up at {soak.s.uri}, running {args.minutes:g} min")
    try:
        soak.run()
    finally:
        summary = write_results(os.path.abspath(args.out), soak, args)
        soak.close()
    log(f"soak: {summary['reconnects']} reconnects, {len(summary['failures'])} failures, "
        f"RSS {summary['rss_mb']['start']:.1f} -> {summary['rss_mb']['end']:.1f} MB, "
        f"fds {summary['fds']['start']} -> {summary['fds']['end']}; results in {args.out}")
    return 0 if summary["spice_wl_alive"] and not summary["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
