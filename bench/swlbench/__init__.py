"""The spice-wl benchmark; bench/run.py is its command line (see bench/README.md).

  common.py     paths, the screen size, the typing text, log()
  processes.py  every process in a session of its own, and killing them all
  clients.py    the display client a run measures through (probe or rfbclient)
  targets.py    the servers compared: spice-wl, XSpice, sway + wayvnc
  workloads.py  what runs on a target, how it settles, the measured window
  measure.py    counters of the server processes and the client over a window
  report.py     medians, ratios, results.md and the plots
  runner.py     building, the items of a run, results.json, main()

The process and line-reader helpers are tests/e2e/swlproc.py, shared with
the end-to-end tests; importing this package puts tests/e2e on sys.path.
"""

import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "e2e"))
