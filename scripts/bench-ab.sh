#!/usr/bin/env bash
# A/B of the read engine between two git revisions, interleaved. On a small shared machine the same
# benchmark varies by ±30–50 % from one run to the next, so "before" and "after" measured minutes apart
# say little; this alternates the two (A B, then B A, ...) on one data file and one server, so that both
# see the same conditions, and prints every run and the medians.
# Usage: scripts/bench-ab.sh REV_A REV_B   (e.g. HEAD~1 HEAD; a revision may also be WORKTREE, the
#   current files, built as they are)
# Env: ROUNDS (default 4), SIZE (default 512M: the random object read), RANDOM_READS (default 200).
# Each run is scripts/bench-engine.mjs of this checkout with RUNS=1, measuring the revision's compiled
# engine (SCOREFS_BUILD); the revisions share this checkout's node_modules, so compare revisions with the
# same dependencies. The server is this checkout's `bin/scorefs serve`: build it first (`npm run build`).
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/bench-lib.sh" # build_revision
[ -d "$repo/build/src" ] || { echo "bench-ab.sh serves with this checkout's build: run npm run build first" >&2; exit 1; }
rounds=${ROUNDS:-4}
work=$(mktemp -d "${TMPDIR:-/tmp}/scorefs-bench-ab-XXXXXX")
cleanup() {
  rm -rf "$work"
  git -C "$repo" worktree prune 2>/dev/null || true
}
trap cleanup EXIT

echo "building $1 and $2" >&2
build_revision "$1" "$work/a"
build_revision "$2" "$work/b"
head -c "${SIZE:-512M}" /dev/urandom > "$work/object.bin"

# run SIDE: one bench-engine.mjs run on SIDE's build, as one line of figures; its log is shown if it fails.
run() {
  SCOREFS_BUILD="$work/$1/build" RUNS=1 RANDOM_READS="${RANDOM_READS:-200}" node "$repo/scripts/bench-engine.mjs" "$work/object.bin" \
    > "$work/engine.json" 2> "$work/engine.log" || { echo "bench-engine.mjs failed:" >&2; tail -5 "$work/engine.log" >&2; return 1; }
  python3 -c 'import json, sys; j = json.load(sys.stdin); print(j["coldEngine"][0], j["coldEngineCpuSecPerGiB"][0], j["coldIdleCpuSecPerGiB"][0], j["warmEngine"][0], j["warmEngineCpuSecPerGiB"][0], max(j["peakRssMiB"].values()), j["randomWarm"]["readsPerSec"])' < "$work/engine.json"
}

echo "label cold_MBps cold_CPUs_per_GiB cold_CPUs_per_GiB_until_idle warm_MBps warm_CPUs_per_GiB peak_RSS_MiB random_warm_reads_per_s" > "$work/runs.txt"
interleaved "$rounds" "$work/runs.txt" run

python3 "$repo/scripts/stats.py" ab "$work/runs.txt" "$1" "$2" "cold MB/s:{:g}" "cold CPU s/GiB:{:g}" \
  "cold CPU s/GiB incl. MD5:{:g}" "warm MB/s:{:g}" "warm CPU s/GiB:{:g}" "peak RSS MiB:{:g}" "random warm reads/s:{:g}"
