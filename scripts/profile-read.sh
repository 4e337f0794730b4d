#!/usr/bin/env bash
# Where a scorefs read spends its CPU: `perf record -g` of the daemon (all its threads, with V8's map of
# its JIT code) over a 1 GiB `dd bs=1M` of the bench BAM, page cache dropped first, in three phases:
#   cold     empty cache, until the daemon went idle (read-ahead, block writes, MD5 checks included);
#   warm     after a remount: every byte from the disk tier, the daemon's code not yet compiled by V8;
#   steady   the same read again with the page cache dropped: the daemon's code compiled.
# Prints, per phase, CPU seconds per GiB by thread (event loop, FUSE threads, libuv pool, MD5 worker, V8
# background) and by what the CPU did there (scripts/cpu-profile.py). The origin is `scorefs serve` on
# loopback; its own CPU is not counted. Under perf, V8 often runs major GCs back to back during the cold
# read (1 s/GiB and more of "garbage collection"), which it does not without perf: docs/benchmarks.md.
# Usage: scripts/profile-read.sh [DATA_DIR]   (default bench-data/1G; built if absent)
#   MOUNT_ARGS: more mount options (e.g. "--read-ahead 1M"). PERF_HZ (default 999): samples per
#   second per thread. RESULTS=DIR (default bench-results/profile-<UTC time>): the tables (profile.md)
#   and each phase's `perf script` output.
# Needs root, perf (scripts/setup.sh --bench) and a built tree (`npm run build`).
set -euo pipefail
command -v perf > /dev/null || { echo "profile-read.sh needs perf: bash scripts/setup.sh --bench" >&2; exit 1; }
source "$(dirname "$0")/bench-lib.sh"
bench_init "${1:-}"
results=${RESULTS:-$repo/bench-results/profile-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
hz=${PERF_HZ:-999}
serve_up --data "$data"
prehash
file=AN-BENCH-BAM/sample.bam
size=$(stat -c %s "$bench/$file")

# profile PHASE UNTIL_IDLE: perf over a dd of the BAM through $mnt (and, with UNTIL_IDLE=1, on until the
# daemon is idle); the phase's table goes to profile.md.
profile() {
  local phase=$1 until_idle=$2 perf_pid t0 t1 c0 c1
  drop_caches
  perf record -F "$hz" -g -p "$daemon_pid" -o "$work/$phase.data" 2> "$work/$phase.perf.log" &
  perf_pid=$!
  sleep 1 # perf attaches to the daemon's threads
  c0=$(cpu_seconds "$daemon_pid") t0=$(now)
  dd if="$mnt/$file" of=/dev/null bs=1M status=none
  t1=$(now)
  if [ "$until_idle" = 1 ]; then c1=$(settled_cpu "$daemon_pid"); else c1=$(cpu_seconds "$daemon_pid"); fi
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  perf script -i "$work/$phase.data" -F tid,ip,sym,dso 2> /dev/null > "$results/$phase.perf.txt"
  python3 "$repo/scripts/cpu-profile.py" "$results/$phase.perf.txt" "$daemon_pid" "$hz" "$size" \
    "$phase: $(calc "round($size / ($t1 - $t0) / 1e6)") MB/s; the daemon's own count: $(calc "round(($c1 - $c0) / ($size / 2**30), 2)") CPU s/GiB" |
    tee -a "$results/profile.md"
}

{
  echo "# Where the CPU goes: $(date -u '+%Y-%m-%d %H:%M UTC'), scorefs $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} > "$results/profile.md"
# With --perf-basic-prof, node writes /tmp/perf-PID.map (its JIT code's symbols, for perf): the daemon
# and the CLI that starts it. Those this script made are removed at the end.
maps_before=$(ls /tmp/perf-*.map 2> /dev/null || true)
perf_opts="${NODE_OPTIONS:-} --perf-basic-prof"
NODE_OPTIONS=$perf_opts mount_fresh profile ${MOUNT_ARGS:-}
profile cold 1
unmount_at "$mnt"
NODE_OPTIONS=$perf_opts mount_at "$mnt" "$cache" ${MOUNT_ARGS:-}
profile warm 0
profile steady 0
unmount_at "$mnt"
for map in /tmp/perf-*.map; do grep -qxF "$map" <<< "$maps_before" || rm -f "$map"; done
echo "tables: $results/profile.md" >&2
