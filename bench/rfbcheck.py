#!/usr/bin/python3
"""Checks bench/rfbclient.py against a real wayvnc: one sway (headless) +
wayvnc session, three clients connected at once — ZRLE, Tight as TigerVNC
asks for it (QualityLevel 8: lossless on neatvnc 0.5, which only does JPEG
for levels 6 and 9), and Tight with QualityLevel 9 (JPEG) — while foot prints
lines and weston-presentation-shm animates. Once the screen is still (the
animation stopped), every client must have parsed the whole stream (no
error, many updates, bytes > 0), the two lossless framebuffers must be
identical, and the JPEG one close to them (mean absolute difference < 8).

  bench/rfbcheck.py BUILD_DIR       (as root, like bench/run.py; ~30 s)

Prints one JSON line; exits 1 on a mismatch.
"""

import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# bench/typing.py must not shadow the standard library's typing.
sys.path.pop(0)
sys.path.append(HERE)
import numpy as np  # noqa: E402
import rfbclient  # noqa: E402
from swlbench.processes import kill_everything, stop  # noqa: E402
from swlbench.runner import Ctx, prepare  # noqa: E402
from swlbench.targets import make_target  # noqa: E402
from swlbench.workloads import FOOT, FootPrint  # noqa: E402


def main():
    ctx = Ctx()
    prepare(ctx, os.path.abspath(sys.argv[1]), smoke=True)
    t = make_target("sway-wayvnc", ctx)
    result = {}
    ok = False
    try:
        t.start()
        clients = {"zrle": rfbclient.RFBClient("127.0.0.1", t.port, encoding="zrle"),
                   "tight": rfbclient.RFBClient("127.0.0.1", t.port, encoding="tight"),
                   "tight-jpeg": rfbclient.RFBClient("127.0.0.1", t.port, encoding="tight",
                                                     tight_quality=9)}
        for c in clients.values():
            threading.Thread(target=c.run, daemon=True).start()
        w = FootPrint(ctx, t, quick=False)
        gen = w.scroll_gen()
        t.run_client(FOOT + gen)
        anim = t.run_client(["weston-presentation-shm"])
        time.sleep(2)
        w.go()
        time.sleep(6)
        stop(anim, 1)
        for name, c in clients.items():
            if not c.wait_quiet(1.0, 20):
                raise RuntimeError(f"{name}: the screen did not get still")
        fbs = {}
        for name, c in clients.items():
            with c.cond:
                fbs[name] = c.fb.astype(np.int16).copy()
            result[name] = dict(c.stats(), error=c.error)
        same = bool(np.array_equal(fbs["zrle"], fbs["tight"]))
        jpeg_diff = float(np.abs(fbs["zrle"] - fbs["tight-jpeg"]).mean())
        nonblack = int((fbs["zrle"].sum(axis=2) > 0).sum())
        result.update(lossless_identical=same, jpeg_mean_abs_diff=round(jpeg_diff, 2),
                      nonblack_pixels=nonblack)
        ok = (same and jpeg_diff < 8 and nonblack > 10000 and
              all(r["error"] is None and r["display_updates"] > 20 and r["total_bytes"] > 0
                  for r in (result[n] for n in clients)))
        for c in clients.values():
            c.sock.close()
    finally:
        t.stop()
        kill_everything()
    result["ok"] = ok
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
