#!/bin/sh
# Builds spice-wl and runs the whole test suite (unit and end-to-end), after
# installing any missing Debian packages; then builds it again with
# AddressSanitizer and UndefinedBehaviorSanitizer and runs the suite once
# more (SANITIZE=0 skips that). Exits non-zero if any test fails.
set -eu
cd "$(dirname "$0")/.."

tools/install-deps.sh

setup() {
	if [ -f "$1/build.ninja" ]; then
		meson setup --reconfigure "$@" >/dev/null
	else
		meson setup "$@" >/dev/null
	fi
	ninja -C "$1"
}

BUILD=${BUILD:-build-tests}
status=0
setup "$BUILD"
meson test -C "$BUILD" --print-errorlogs "$@" || status=$?
logs="$BUILD/meson-logs/testlog.json"

if [ "${SANITIZE:-1}" = 1 ]; then
	echo "== the same suite under AddressSanitizer and UndefinedBehaviorSanitizer"
	setup "$BUILD-asan" -Db_sanitize=address,undefined -Db_lundef=false
	# Leak checking is left to the valgrind check: spice-server and wlroots
	# keep allocations until exit that would drown our own.
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$BUILD-asan" --print-errorlogs --no-suite browser \
			--no-suite valgrind "$@" || status=$?
	logs="$logs $BUILD-asan/meson-logs/testlog.json"
fi

# One plain closing line, counted from meson's own logs.
python3 - $logs <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as f:
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
