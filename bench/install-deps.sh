#!/bin/sh
# Installs the Debian bookworm packages the benchmark (bench/run.py) needs,
# on top of what spice-wl itself needs (tools/install-deps.sh). Safe to run
# again: does nothing when everything is present.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
"$here/../tools/install-deps.sh"

PACKAGES="
python3 python3-matplotlib python3-numpy
xserver-xspice xserver-xorg-core
xterm x11-apps x11-utils xdotool
sway wayvnc xwayland
gcc libxcb1-dev
procps util-linux passwd
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "bench: installing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "bench: need root (or sudo) to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing </dev/null
