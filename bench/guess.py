#!/usr/bin/env python3
"""Password guesses per second against a running spice-wl: loops wrong-password
main-channel logins (a raw SPICE link exchange) for a few seconds and counts
the verdicts spice-wl gave and the connections it refused.

    bench/guess.py --port 5900 [--seconds 5] [--source 127.0.0.1]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import spice_link  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5900)
    ap.add_argument("--source", default=None, help="local address to connect from")
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    guesses = refused = 0
    start = time.monotonic()
    while time.monotonic() - start < args.seconds:
        try:
            spice_link.login(args.host, args.port, "wrong-guess", source=args.source)
            guesses += 1
        except ConnectionError:
            refused += 1
    elapsed = time.monotonic() - start
    print(f"{guesses} guesses answered in {elapsed:.1f} s ({guesses / elapsed:.1f}/s), "
          f"{refused} connections refused")


if __name__ == "__main__":
    main()
