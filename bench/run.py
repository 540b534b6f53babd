#!/usr/bin/python3
"""spice-wl benchmark: spice-wl (per-op, dfps 10, dfps 30) against XSpice
(Xorg + spiceqxl, same three modes) and sway + wayvnc, on the same X11
workloads, with a real client connected. See bench/README.md.

  bench/run.py [--quick] [--runs N] [--out DIR]
               [--targets T,T,...] [--workloads W,W,...] [--build DIR]

Run as root (XSpice's Xorg needs it; sway runs as an unprivileged user made
for the purpose). Writes DIR/results.json, DIR/results.md and DIR/plots/*.png.
"""

import os
import sys

# bench/typing.py must not shadow the standard library's typing (numpy and
# matplotlib import it): bench/ goes to the end of the path, where the
# package bench/swlbench (which does the work) is still found.
if __name__ == "__main__":
    sys.path.pop(0)
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from swlbench.runner import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(__doc__))
