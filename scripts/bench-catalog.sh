#!/usr/bin/env bash
# A large catalog at a distance: how long `scorefs mount` takes to return, what it asks the server, the
# daemon's memory, and how soon the tree answers `ls`, `find` and a first `cat`; then a remount on the
# same cache (the cached listing). Other trees (e.g. a `git worktree` of an older commit, built) are
# measured against the same server in the same run, one after another, for before/after figures.
# Usage: scripts/bench-catalog.sh [OTHER_TREE...]   (needs root and a built tree)
#   N=N (default 100000, even): objects in the catalog (built by make-catalog-data.sh under bench-data/).
#   RTT_MS=N (default 60): round trip to the server (the server's latencyMs switch, see bench-wan.sh).
#   RUNS=N (default 1): runs of each tree, interleaved.
set -euo pipefail
export RTT_MS=${RTT_MS:-60}
unset PER_CONNECTION_MBPS
source "$(dirname "$0")/bench-lib.sh"
n=${N:-100000}
trees=("$repo" "$@")
[ "$(id -u)" = 0 ] || { echo "needs root (FUSE)" >&2; exit 1; }
work=$(mktemp -d /tmp/scorefs-bench.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bash "$repo/scripts/make-catalog-data.sh" "$repo/bench-data/catalog-$n" "$n" >&2
echo "catalog of $n objects, RTT ${RTT_MS} ms; $(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
PREHASH=0 start_server "$repo/bench-data/catalog-$n"
# the server's first scan of the directory is not the mount's cost
curl -sf -o /dev/null "$base/listing"
ms() { calc "round(($2 - $1) * 1000)"; }
hwm() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$daemon_pid/status"; }

for run in $(seq "$runs"); do
  for tree in "${trees[@]}"; do
    label="$(basename "$tree")-$run"
    a0=$(requests api) t0=$(now)
    scorefs=$tree/bin/scorefs mount_fresh "$label" --ready-timeout 600 > /dev/null
    t1=$(now) a1=$(requests api)
    mount_ms=$(ms "$t0" "$t1") mount_req=$((a1 - a0)) mount_hwm=$(hwm)
    first=$(ls "$mnt" | sed -n 1p)
    t0=$(now); roots=$(ls "$mnt" | wc -l); t1=$(now); ls_root=$(ms "$t0" "$t1")
    t0=$(now); ls -l "$mnt/$first" > /dev/null; t1=$(now); ls_one=$(ms "$t0" "$t1")
    name=$(ls "$mnt/$first" | sed -n 1p)
    t0=$(now); cat "$mnt/$first/$name" > /dev/null; t1=$(now); cat_first=$(ms "$t0" "$t1")
    t0=$(now); found=$(find "$mnt" -type f | wc -l); t1=$(now); find_all=$(ms "$t0" "$t1")
    find_hwm=$(hwm)
    unmount_at "$mnt"
    a0=$(requests api) t0=$(now)
    scorefs=$tree/bin/scorefs mount_at "$mnt" "$cache" --ready-timeout 600 > /dev/null
    t1=$(now) a1=$(requests api)
    remount_ms=$(ms "$t0" "$t1") remount_req=$((a1 - a0)) remount_hwm=$(hwm)
    unmount_at "$mnt"
    rm -rf "${work:?}/$label"
    echo "$label: mount ${mount_ms} ms, ${mount_req} requests, VmHWM ${mount_hwm} MiB; ls of the root (${roots} entries) ${ls_root} ms;" \
      "ls -l of one directory ${ls_one} ms; first cat ${cat_first} ms; find -type f (${found} files) ${find_all} ms, VmHWM then ${find_hwm} MiB;" \
      "remount on the same cache ${remount_ms} ms, ${remount_req} requests, VmHWM ${remount_hwm} MiB; load $(cut -d' ' -f1 /proc/loadavg)"
  done
done
