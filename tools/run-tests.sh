#!/bin/sh
# Builds spice-wl and runs the whole test suite (unit and end-to-end), after
# installing any missing Debian packages. Exits non-zero if any test fails.
set -eu
cd "$(dirname "$0")/.."

tools/install-deps.sh

BUILD=${BUILD:-build-tests}
if [ -f "$BUILD/build.ninja" ]; then
	meson setup --reconfigure "$BUILD" >/dev/null
else
	meson setup "$BUILD"
fi
ninja -C "$BUILD"
status=0
meson test -C "$BUILD" --print-errorlogs "$@" || status=$?

# One plain closing line, counted from meson's own log.
python3 - "$BUILD/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
