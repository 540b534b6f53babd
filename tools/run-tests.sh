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
meson test -C "$BUILD" --print-errorlogs "$@"
