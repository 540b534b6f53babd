#!/bin/sh
# Turns the backend's objects (IN, a static archive built with
# -fvisibility=hidden) into the installed archive OUT whose only global
# symbols are the public API: one relocatable object linked from all of
# them, with every hidden symbol made local. A static archive has no version
# script; without this, every function one backend file calls in another
# would be global in the compositor's link.
# Usage: export-api.sh LD OBJCOPY AR IN OUT
set -eu
ld=$1 objcopy=$2 ar=$3 in=$4 out=$5
obj="$out.o"
"$ld" -r -o "$obj" --whole-archive "$in"
"$objcopy" --localize-hidden "$obj"
rm -f "$out"
"$ar" rcs "$out" "$obj"
rm -f "$obj"
