"""The results: medians over the runs and ratios to the baseline target
(summarize), results.md (write_markdown) and plots/*.png (plots)."""

import os
import statistics

from .common import SIZE, TYPING_RATE
from .workloads import WORKLOAD_BY_NAME, WORKLOAD_DOC


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


def summarize(raw, targets, workloads, baseline):
    """Medians over the runs per workload and target, with ratios to baseline."""
    summary = {}
    for w in workloads:
        for tname in targets:
            runs = [r for r in raw.get(tname, {}).get(w, []) if "error" not in r]
            if runs:
                summary.setdefault(w, {})[tname] = _medians(runs)
    for w, per in summary.items():
        base = per.get(baseline)
        if not base:
            continue
        for tname, med in per.items():
            ratio = {}
            for key, _ in METRICS:
                if key in med and key in base:
                    ratio[key] = (round(med[key] / base[key], 3) if base[key]
                                  else (1.0 if med[key] == 0 else None))
            med["ratio_to_" + baseline] = ratio
    return summary


def _medians(runs):
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
    return med


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


def _header(meta, baseline):
    return [
        "# spice-wl benchmark results\n",
        f"Date: {meta['date']}; runs: {meta['runs']} (medians); window: "
        f"{meta['window_s']} s per workload (typing: {meta['typing_chars']} characters "
        f"at {TYPING_RATE:.0f}/s); {SIZE[0]}x{SIZE[1]}; machine: {meta['machine']}; "
        f"spice-wl {meta.get('spice_wl_commit', '?')}; total run time "
        f"{meta.get('total_seconds', 0) / 60:.1f} min.\n",
        f"Ratios (×) are to **{baseline}** measured in the same run. Bytes are "
        "server→client as counted by the client; CPU is the server processes' user+"
        "system time in the window (spice-wl + Xwayland; Xorg; sway + wayvnc + "
        "Xwayland); wakeups/s are their context switches per second; peak RSS is "
        "their VmHWM summed.\n",
    ]


def _table(title, first, columns, align):
    """A section's title and the head of its table."""
    return [title, f"| {first} | " + " | ".join(columns) + " |",
            "| --- | " + " | ".join(align for _ in columns) + " |"]


def _overview(summary, targets, workloads, baseline):
    """Display bytes per workload and target."""
    out = _table("## Overview: display bytes (× " + baseline + ")\n", "workload", targets, "---:")
    for w in (w for w in workloads if summary.get(w)):
        per = summary[w]
        cells = []
        for tname in targets:
            med = per.get(tname)
            if not med or "display_bytes" not in med:
                cells.append("-")
                continue
            cell = fmt("display_bytes", med["display_bytes"])
            r = med.get("ratio_to_" + baseline, {}).get("display_bytes")
            if r is not None and tname != baseline:
                cell += f" ({r:.2f}×)"
            if "client_fps" in med and WORKLOAD_BY_NAME[w].animation:
                cell += f", {med['client_fps']:.0f} fps"
            cells.append(cell)
        out.append(f"| {w} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def _workload_table(w, per, targets, baseline):
    """Every metric of one workload, per target."""
    keys = [k for k, _ in METRICS if any(k in per[t] for t in per)]
    if not WORKLOAD_BY_NAME[w].client:
        keys = [k for k in keys if k != "display_updates"]
    labels = dict(METRICS)
    out = [f"## {w}\n"] + _table(f"{WORKLOAD_DOC[w]}\n", "target", [labels[k] for k in keys],
                                 "---:")
    for tname in targets:
        med = per.get(tname)
        if not med:
            continue
        ratio = med.get("ratio_to_" + baseline, {})
        cells = []
        for k in keys:
            cell = fmt(k, med.get(k))
            if k in ratio and ratio[k] is not None and tname != baseline:
                cell += f" ({ratio[k]:.2f}×)"
            cells.append(cell)
        out.append(f"| {tname} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def _cpu_by_process(summary, targets, workloads):
    out = _table("## Server CPU by process (median seconds)\n", "workload", targets, "---")
    for w in (w for w in workloads if summary.get(w)):
        per = summary[w]
        cells = []
        for tname in targets:
            split = per.get(tname, {}).get("cpu_by_process", {})
            cells.append(", ".join(f"{n} {v:.2f}" for n, v in sorted(split.items())
                                   if v >= 0.005) or "-")
        out.append(f"| {w} | " + " | ".join(cells) + " |")
    out.append("")
    busy = [f"{w} {statistics.median(m['machine_busy_s'] for m in summary[w].values() if 'machine_busy_s' in m):.1f} s"  # noqa: E501
            for w in workloads if w in summary]
    out.append("Whole machine busy during the windows (all processes, incl. clients and "
               "anything else running): median " + ", ".join(busy) + ".\n")
    return out


def write_markdown(path, summary, meta, targets, workloads, errors, baseline):
    out = _header(meta, baseline) + _overview(summary, targets, workloads, baseline)
    if meta.get("skipped"):
        for tname, why in meta["skipped"].items():
            out.append(f"- **{tname}** skipped: {why}")
        out.append("")
    for w in workloads:
        if summary.get(w):
            out += _workload_table(w, summary[w], targets, baseline)
    out += _cpu_by_process(summary, targets, workloads)
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

    active = [w for w in workloads if WORKLOAD_BY_NAME[w].plot_bytes]
    grid("display_bytes", "display bytes", active, "bytes.png")
    grid("cpu_s", "server CPU s", workloads, "cpu.png")
    grid("latency_median_ms", "ms (bar: median)", ["latency"], "latency.png")
    grid("wakeups_per_s", "context switches/s", ["idle-client", "idle-noclient"],
         "wakeups.png")
    grid("peak_rss_mb", "peak RSS MB", workloads, "rss.png")


# ----------------------------------------------------------------------------
# main
