#!/bin/sh
# Builds spice-wl and runs a demo session (weston-terminal, or the animated
# test client when weston is missing) after installing any missing Debian
# packages, then prints how to connect. Ctrl-C ends the session.
#
#   tools/demo.sh [spice-wl options] [-- COMMAND ...]
set -eu
cd "$(dirname "$0")/.."

tools/install-deps.sh

BUILD=${BUILD:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" >/dev/null
fi
ninja -C "$BUILD" >/dev/null

if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ]; then
	XDG_RUNTIME_DIR=$(mktemp -d /tmp/spice-wl-runtime.XXXXXX)
	export XDG_RUNTIME_DIR
fi
chmod 700 "$XDG_RUNTIME_DIR"

# A fresh random password for this session, never on a command line.
PASSWORD_FILE="$XDG_RUNTIME_DIR/spice-wl-demo.password"
(umask 077 && head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PASSWORD_FILE")

# Options without a command still get the demo app.
has_command=false
for arg in "$@"; do
	if [ "$arg" = "--" ]; then
		has_command=true
	fi
done
if ! $has_command; then
	if command -v weston-terminal >/dev/null 2>&1; then
		set -- "$@" -- weston-terminal
	else
		set -- "$@" -- "$BUILD/tests/clients/swl-test-client" --animate
	fi
fi

URI_FILE="$XDG_RUNTIME_DIR/spice-wl-demo.uri"
: >"$URI_FILE"
"$BUILD/compositor/spice-wl" --password-file "$PASSWORD_FILE" "$@" >"$URI_FILE" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; exit 0' INT TERM

while ! grep -q '^spice://' "$URI_FILE" 2>/dev/null; do
	if ! kill -0 "$PID" 2>/dev/null; then
		wait "$PID" || exit $?
		exit 1
	fi
	sleep 0.1
done
URI=$(grep '^spice://' "$URI_FILE" | head -n 1)

cat <<MSG

spice-wl is running: $URI
  connect:   remote-viewer $URI
  password:  $(cat "$PASSWORD_FILE")   (also in $PASSWORD_FILE)
  screenshot from this machine:
    SPICE_WL_PASSWORD=\$(cat $PASSWORD_FILE) $BUILD/tools/spice-wl-probe screenshot --out shot.png
  Ctrl-C ends the session.

MSG
wait "$PID"
