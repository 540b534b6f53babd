#!/bin/sh
# Builds spice-wl and runs the whole test suite (unit and end-to-end), after
# installing any missing Debian packages; then builds it again with
# AddressSanitizer and UndefinedBehaviorSanitizer and runs the suite once
# more, without the browser, valgrind and benchmark tests (SANITIZE=0 skips
# that). Then, with clang and libFuzzer, runs each
# fuzz target of tests/fuzz for FUZZ_SECONDS (20) seconds on a copy of its
# seed corpus (FUZZ=0 skips that; it defaults to SANITIZE). Exits non-zero if
# any test fails or any fuzzer finds a crash or leak.
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
			--no-suite valgrind --no-suite bench "$@" || status=$?
	logs="$logs $BUILD-asan/meson-logs/testlog.json"
fi

fuzz_summary=""
if [ "${FUZZ:-${SANITIZE:-1}}" = 1 ]; then
	probe=$(mktemp -d)
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' >"$probe/probe.c"
	if command -v clang >/dev/null 2>&1 &&
			clang -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" \
				>/dev/null 2>&1; then
		echo "== libFuzzer smoke runs, ${FUZZ_SECONDS:-20} s per target"
		if [ -f "$BUILD-fuzz/build.ninja" ]; then
			meson setup --reconfigure "$BUILD-fuzz" -Db_lundef=false >/dev/null
		else
			CC=clang meson setup "$BUILD-fuzz" -Db_lundef=false >/dev/null
		fi
		fuzz_targets="agent_proto:agent scancode:scancode pointer:pointer motion:motion options:options"
		exes=""
		for t in $fuzz_targets; do
			exes="$exes tests/fuzz/fuzz_${t%%:*}"
		done
		# shellcheck disable=SC2086 # one word per target
		ninja -C "$BUILD-fuzz" $exes
		# BUILD may be absolute or relative: the fuzzers run from elsewhere.
		fuzz_bin=$(cd "$BUILD-fuzz/tests/fuzz" && pwd)
		fuzz_failed=0
		for t in $fuzz_targets; do
			name=${t%%:*}
			work=$(mktemp -d "${TMPDIR:-/tmp}/spice-wl-fuzz-$name.XXXXXX")
			mkdir "$work/corpus"
			cp "tests/fuzz/corpus/${t#*:}/"* "$work/corpus/"
			# -jobs=1 runs the fuzzer in a child that logs to fuzz-0.log in
			# the current directory, hence the cd; its exit status is
			# non-zero on a crash, a leak or a timeout.
			if (cd "$work" && "$fuzz_bin/fuzz_$name" \
					-max_total_time="${FUZZ_SECONDS:-20}" -jobs=1 -timeout=10 \
					-artifact_prefix="$work/" corpus >driver.log 2>&1); then
				runs=$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$work/fuzz-0.log" ||
					echo "no 'Done' line")
				echo "fuzz_$name: $runs"
				rm -rf "$work"
			else
				fuzz_failed=$((fuzz_failed + 1))
				echo "fuzz_$name: FAILED; log, corpus and crash input kept in $work:"
				tail -n 40 "$work/fuzz-0.log" 2>/dev/null || cat "$work/driver.log"
				status=1
			fi
		done
		fuzz_summary="fuzz: $(echo "$fuzz_targets" | wc -w) targets run, $fuzz_failed failed"
	else
		fuzz_summary="fuzz: skipped (no clang with -fsanitize=fuzzer)"
	fi
	rm -rf "$probe"
fi

if [ -n "$fuzz_summary" ]; then
	echo "$fuzz_summary"
fi

# One plain closing line, last, counted from meson's own logs.
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
