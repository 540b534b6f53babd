#!/bin/sh
# Installs the Debian bookworm packages the benchmark (bench/run.py) needs,
# on top of what spice-wl itself needs (tools/install-deps.sh). Safe to run
# again: does nothing when everything is present.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2086
exec "$here/../tools/install-deps.sh" python3 python3-matplotlib python3-numpy xserver-xspice xserver-xorg-core xterm x11-apps x11-utils xdotool sway wayvnc foot weston python3-gi python3-gi-cairo gir1.2-gtk-3.0 python3-pil xwayland gcc libxcb1-dev procps util-linux passwd
