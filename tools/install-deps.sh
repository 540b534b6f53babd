#!/bin/sh
# Installs the Debian bookworm packages spice-wl needs to build, run its demo
# and run its tests, if any are missing, plus any package names given as
# arguments (bench/install-deps.sh adds its own). Safe to run again: it does
# nothing when everything is present.
#
#   tools/install-deps.sh [PACKAGE...]
set -eu

PACKAGES="
meson ninja-build pkg-config gcc python3
libwlroots-dev libwayland-dev wayland-protocols libxkbcommon-dev xkb-data
libpixman-1-dev libspice-server-dev libspice-protocol-dev
libspice-client-glib-2.0-dev libpng-dev libcmocka-dev libsoup-3.0-dev glib-networking
libpango1.0-dev libcairo2-dev
spice-client-gtk weston foot xwayland fonts-dejavu-core python3-gi gir1.2-gtk-3.0
libxcb1-dev libxcb-xkb-dev libxcb-icccm4-dev libxkbcommon-x11-dev xterm x11-apps
wl-clipboard wayland-utils xclip xdotool openssl systemd valgrind
chromium spice-html5
sasl2-bin libsasl2-modules
pulseaudio pulseaudio-utils
waybar fuzzel
clang libclang-rt-14-dev
"

missing=""
for p in $PACKAGES "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "spice-wl: installing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "spice-wl: need root (or sudo) to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing </dev/null
