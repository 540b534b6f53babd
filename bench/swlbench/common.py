"""What every part of the benchmark uses: paths, the screen size, the
typing workloads' text and rate, and the progress log on stderr."""

import os
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # bench/
REPO = os.path.dirname(HERE)
PY = sys.executable or "/usr/bin/python3"
SIZE = (1280, 800)
BENCH_USER = "swlbench"
TYPING_RATE = 33.0
TYPING_TEXT = "the quick brown fox jumps over the lazy dog 0123456789 "


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()
