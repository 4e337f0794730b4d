#!/usr/bin/env bash
# A/B of two git revisions on region queries through a real mount, interleaved (A B, then B A, ...):
# `samtools view -c` of 50 random 1 kb regions of the bench BAM in one call, cold (empty cache, page
# cache dropped), from `scorefs serve` on loopback, or over a simulated link (RTT_MS,
# PER_CONNECTION_MBPS: see bench-lib.sh's set_link). Prints seconds, range GETs and MB fetched
# (the daemon's stats.json) per revision. bench-ceiling.sh puts one revision's figures beside httpfs2's.
# Usage: scripts/bench-ab-regions.sh REV_A REV_B   (a revision may be WORKTREE: the current files)
# Env: ROUNDS (default 6), REGIONS (default 50), REGION_BASES (default 1000: each region's length), BAM_SET
# (default 1G: bench-data/<set>, built if absent).
# Needs root (FUSE, drop_caches), samtools, and this checkout built (`npm run build`): it runs the server.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
source "$(dirname "$0")/bench-lib.sh"
[ -d "$repo/build/src" ] || { echo "bench-ab-regions.sh serves with this checkout's build: run npm run build first" >&2; exit 1; }
bench_init "$repo/bench-data/${BAM_SET:-1G}" "${BAM_SET:-1G}"
trap 'bench_cleanup; git -C "$repo" worktree prune 2>/dev/null || true' EXIT

echo "building $1 and $2" >&2
build_revision "$1" "$work/a"
build_revision "$2" "$work/b"
start_server
mapfile -t regions < <(random_regions "${REGIONS:-50}")
bam=AN-BENCH-BAM/sample.bam

# run SIDE: one cold region query with SIDE's scorefs: seconds, range GETs, MB fetched.
run() {
  local scorefs="$work/$1/bin/scorefs" t0 t1
  mount_fresh "ab-$1"
  drop_caches
  t0=$(now)
  samtools view -c -X "$mnt/$bam" "$mnt/$bam.bai" "${regions[@]}" > /dev/null
  t1=$(now)
  sleep 1 # ranges still arriving belong to the query
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["cache"]; print(sys.argv[2], c["networkRequests"], c["networkBytes"] / 1e6)' \
    "$mnt/.scorefs/stats.json" "$(calc "$t1 - $t0")"
  unmount_at "$mnt"
}

: > "$work/runs.txt"
interleaved "${ROUNDS:-6}" "$work/runs.txt" run

python3 "$repo/scripts/stats.py" ab "$work/runs.txt" "$1" "$2" "seconds:{:.3f}" "range GETs:{:.0f}" "MB fetched:{:.1f}"
