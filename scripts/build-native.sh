#!/usr/bin/env bash
# Builds scorefs's one native piece, BUILD_DIR/src/fuse/fuse-max-pages.so (see src/fuse/fuse-max-pages.c:
# FUSE requests of 1 MiB), beside what `tsc` put there. Without a C compiler it says so and exits 0:
# scorefs then mounts with 128 KiB requests. scripts/setup.sh installs gcc.
# Usage: scripts/build-native.sh [BUILD_DIR]   (default build, tsc's outDir)
set -euo pipefail
cd "$(dirname "$0")/.."
src=src/fuse/fuse-max-pages.c out=${1:-build}/src/fuse/fuse-max-pages.so
cc=$(command -v cc || command -v gcc || true)
if [ -z "$cc" ]; then
  echo "build-native: no C compiler (cc); $out not built: FUSE requests stay at 128 KiB" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
# Built beside, then renamed: a daemon that has the library mapped keeps its copy.
"$cc" -O2 -Wall -Wextra -Werror -shared -fPIC -o "$out.tmp" "$src" -ldl
mv -f "$out.tmp" "$out"
