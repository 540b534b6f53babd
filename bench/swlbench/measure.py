"""What a run measures over its window: CPU time, context switches and peak
RSS of the target's server processes (from /proc), the whole machine's busy
time, and the bytes and updates the display client counted."""

import time

from swlproc import machine_busy, proc_comm, proc_ctxsw, proc_cpu, proc_status_kb


class Measure:
    """Counters of the server processes and the client over one window."""

    def __init__(self, target, client):
        self.target = target
        self.client = client

    def snap(self):
        pids = self.target.server_pids()
        s = {"t": time.monotonic(), "busy": machine_busy(),
             "cpu": {p: proc_cpu(p) for p in pids}, "ctx": {p: proc_ctxsw(p) for p in pids}}
        if self.client:
            s["client"] = self.client.stats()
        return s

    def result(self, a, b):
        window = b["t"] - a["t"]
        cpu = 0.0
        ctx = 0
        by = {}
        for pid, c1 in b["cpu"].items():
            c0 = a["cpu"].get(pid, 0.0)
            if c1 is None:
                continue
            d = c1 - (c0 or 0.0)
            cpu += d
            name = proc_comm(pid)
            by[name] = round(by.get(name, 0) + d, 3)
            x1, x0 = b["ctx"].get(pid), a["ctx"].get(pid) or 0
            if x1 is not None:
                ctx += x1 - x0
        pids = self.target.server_pids()
        r = {"window_s": round(window, 3), "cpu_s": round(cpu, 3), "cpu_by_process": by,
             "ctx_switches": ctx, "wakeups_per_s": round(ctx / window, 2),
             "peak_rss_mb": round(sum(proc_status_kb(p, "VmHWM") for p in pids) / 1024, 1),
             "machine_busy_s": round(b["busy"] - a["busy"], 2)}
        if self.client:
            for k in ("total_bytes", "display_bytes", "display_updates"):
                r[k] = b["client"][k] - a["client"][k]
        return r

