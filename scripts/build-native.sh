#!/usr/bin/env bash
# Builds scorefs's two native pieces beside what `tsc` put in BUILD_DIR:
#   src/fuse/fuse-max-pages.so   FUSE requests of 1 MiB (see src/fuse/fuse-max-pages.c);
#   src/cache/md5-lanes.node     MD5 of 16 Score parts at once, for the cache's checks (src/cache/md5-lanes.c).
# Each is optional: without a C compiler (or Node's headers, for the addon) it says so and exits 0;
# scorefs then mounts with 128 KiB requests, and hashes parts one at a time with Node's own MD5.
# scripts/setup.sh installs gcc; Node's headers come with Node.
# Usage: scripts/build-native.sh [BUILD_DIR]   (default build, tsc's outDir)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cc=$(command -v cc || command -v gcc || true)
if [ -z "$cc" ]; then
  echo "build-native: no C compiler (cc): FUSE requests stay at 128 KiB, parts are hashed one at a time" >&2
  exit 0
fi

# compile OUT ARGS...: built beside, then renamed: a process that has the file mapped keeps its copy.
compile() {
  local out=$1
  shift
  mkdir -p "$(dirname "$out")"
  "$cc" -O2 -Wall -Wextra -Werror -shared -fPIC -o "$out.tmp" "$@"
  mv -f "$out.tmp" "$out"
}

compile "$build/src/fuse/fuse-max-pages.so" src/fuse/fuse-max-pages.c -ldl

node_headers=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
if [ -f "$node_headers/node_api.h" ]; then
  compile "$build/src/cache/md5-lanes.node" -I"$node_headers" src/cache/md5-lanes.c
else
  echo "build-native: no Node headers at $node_headers: parts are hashed one at a time" >&2
fi
