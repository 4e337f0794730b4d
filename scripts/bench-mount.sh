#!/usr/bin/env bash
# Mount benchmark: what reading through a scorefs mount costs next to fetching the object's
# presigned URL directly (curl / htslib over HTTP) and next to reading the local file.
# Usage: scripts/bench-mount.sh [DATA_DIR]   (default bench-data/1G; built if absent; needs root)
#   RUNS=N (default 3) repeats every measurement; tables give "median (min–max)".
#   PER_CONNECTION_MBPS=N caps each object response at N MB/s (an object store's per-connection limit).
# Measures:
#   1. cold sequential cat of the 1 GiB BAM through a fresh mount (empty cache, dropped page cache)
#      vs curl of the external URL: MB/s and ratio (target ≥ 0.8);
#   2. the same cat after unmount + remount on the same cache: object bytes the server sent (must be 0)
#      and MB/s vs cat of the local file, both from a cold page cache;
#   3. 50 random 1 kb regions with `samtools view -c`: mount cold (fresh cache) and warm (second pass)
#      vs htslib over HTTP (-X URL IDXURL) vs the local file: total time and object bytes; counts must agree;
#   4. peak RSS (VmHWM) of the mount daemon over the cold cat.
set -euo pipefail
command -v bc >/dev/null || { echo "bench-mount.sh needs bc: bash scripts/setup.sh --bench" >&2; exit 1; }
source "$(dirname "$0")/bench-lib.sh"
bench_init "${1:-}"
start_server

bam_rel=AN-BENCH-BAM/sample.bam
bam_local="$bench/$bam_rel"
bam_size=$(stat -c %s "$bam_local")
bam_url=$(external_url "$(object_id AN-BENCH-BAM sample.bam)")
bai_url=$(external_url "$(object_id AN-BENCH-BAM sample.bam.bai)")
mbps() { calc "$bam_size / ($2 - $1) / 1e6"; }

# --- 1, 2, 4: sequential reads --------------------------------------------------------------------
# One run; appends to the arrays below. Runs in this shell (not in $(...)) so cleanup sees its mounts.
cold=() curls=() ratio=() warm=() locals=() warm_ratio=() cold_bytes=() warm_bytes=() hwm=()
sequential_run() {
  local label=$1 t0 t1 b0 b1 c cb u w wb l h
  # Cold: empty cache, empty page cache; the daemon is new, so VmHWM afterwards is its peak over the cat.
  mount_fresh "$label"
  drop_caches
  b0=$(object_bytes); t0=$(now)
  cat "$mnt/$bam_rel" > /dev/null
  t1=$(now); b1=$(object_bytes)
  c=$(mbps "$t0" "$t1"); cb=$((b1 - b0))
  h=$(awk '/^VmHWM/ {print $2}' "/proc/$daemon_pid/status")
  cp "$mnt/.scorefs/stats.json" "$work/$label-cold-stats.json"
  # Warm: a new daemon on the same cache dir must serve every byte from disk.
  unmount_at "$mnt"
  mount_at "$mnt" "$cache"
  drop_caches
  b0=$(object_bytes); t0=$(now)
  cat "$mnt/$bam_rel" > /dev/null
  t1=$(now); b1=$(object_bytes)
  w=$(mbps "$t0" "$t1"); wb=$((b1 - b0))
  cp "$mnt/.scorefs/stats.json" "$work/$label-warm-stats.json"
  unmount_at "$mnt"
  rm -rf "$work/$label"
  # Baselines, each from a cold page cache too.
  drop_caches
  u=$(calc "$(curl -s -o /dev/null -w '%{speed_download}' "$bam_url") / 1e6")
  drop_caches
  t0=$(now); cat "$bam_local" > /dev/null; t1=$(now)
  l=$(mbps "$t0" "$t1")
  cold+=("$c"); curls+=("$u"); warm+=("$w"); locals+=("$l"); cold_bytes+=("$cb"); warm_bytes+=("$wb")
  hwm+=("$(calc "$h / 1024")"); ratio+=("$(calc "$c / $u")"); warm_ratio+=("$(calc "$w / $l")")
  echo "$label: cold mount $c MB/s (server sent $cb B), curl $u MB/s, remount $w MB/s (server sent $wb B), local $l MB/s, daemon VmHWM $h kB" >&2
}

# --- 3: random regions ----------------------------------------------------------------------------
random_regions > "$work/regions.txt"

# count_regions OUT CMD...: runs `CMD REGION` for every region, one count per line into OUT.
count_regions() {
  local out=$1 region; shift
  : > "$out"
  while read -r region; do "$@" "$region" >> "$out"; done < "$work/regions.txt"
}

# timed_counts OUT CMD...: count_regions, printing "seconds object_bytes" (bytes include read-ahead
# that is still arriving when the last samtools exits).
timed_counts() {
  local b0 b1 t0 t1
  b0=$(object_bytes); t0=$(now)
  count_regions "$@"
  t1=$(now); b1=$(settled_object_bytes)
  echo "$(calc "$t1 - $t0") $((b1 - b0))"
}

# One run; appends "seconds bytes" pairs to the arrays below; fails if counts differ.
r_cold=() r_warm=() r_http=() r_local=()
regions_run() {
  local label=$1 cold warm http local
  mount_fresh "$label"
  drop_caches
  cold=$(timed_counts "$work/$label.mount-cold" samtools view -c "$mnt/$bam_rel")
  warm=$(timed_counts "$work/$label.mount-warm" samtools view -c "$mnt/$bam_rel")
  unmount_at "$mnt"
  rm -rf "$work/$label"
  drop_caches
  # htslib fetches the index URL on every invocation; run where a downloaded index could not be reused.
  mkdir -p "$work/htscwd"
  http=$(cd "$work/htscwd" && timed_counts "$work/$label.http" samtools view -c -X "$bam_url" "$bai_url")
  drop_caches
  local=$(timed_counts "$work/$label.local" samtools view -c "$bam_local")
  local f
  for f in mount-cold mount-warm http; do
    cmp -s "$work/$label.$f" "$work/$label.local" ||
      { echo "count mismatch: $f vs local" >&2; paste "$work/$label.$f" "$work/$label.local" >&2; exit 1; }
  done
  r_cold+=("$cold"); r_warm+=("$warm"); r_http+=("$http"); r_local+=("$local")
  echo "$label: mount cold $cold, mount warm $warm, htslib HTTP $http, local $local (s, object B); counts agree" >&2
}

echo "data: $bam_local ($bam_size bytes); $runs runs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do sequential_run "seq$i"; done
for i in $(seq "$runs"); do regions_run "reg$i"; done
# secs "S B" ... / kib "S B" ...: the time or the KiB column of timed_counts results.
secs() { local x out=(); for x in "$@"; do out+=("${x%% *}"); done; echo "${out[@]}"; }
kib() { local x out=(); for x in "$@"; do out+=("$(calc "${x##* } / 1024")"); done; echo "${out[@]}"; }

echo
echo "| sequential read of the 1 GiB BAM (cold page cache) | median (min–max) |"
echo "|---|---|"
echo "| mount, empty cache: cat MB/s | $(summary "${cold[@]}") |"
echo "| curl of the presigned URL MB/s | $(summary "${curls[@]}") |"
echo "| ratio mount/curl (per run; target ≥ 0.8) | $(FMT=%.2f summary "${ratio[@]}") |"
echo "| object bytes sent during the cold cat | $(summary "${cold_bytes[@]}") |"
echo "| after remount on the same cache: cat MB/s | $(summary "${warm[@]}") |"
echo "| object bytes sent during it (must be 0) | $(summary "${warm_bytes[@]}") |"
echo "| cat of the local file MB/s | $(summary "${locals[@]}") |"
echo "| ratio remount/local (per run) | $(FMT=%.2f summary "${warm_ratio[@]}") |"
echo "| mount daemon peak RSS (VmHWM) over the cold cat, MiB | $(summary "${hwm[@]}") |"
echo
echo "| 50 random 1 kb regions, samtools view -c | total s | object KiB fetched |"
echo "|---|---|---|"
echo "| mount, fresh cache | $(FMT=%.2f summary $(secs "${r_cold[@]}")) | $(summary $(kib "${r_cold[@]}")) |"
echo "| mount, second pass | $(FMT=%.2f summary $(secs "${r_warm[@]}")) | $(summary $(kib "${r_warm[@]}")) |"
echo "| htslib HTTP (-X URL IDXURL) | $(FMT=%.2f summary $(secs "${r_http[@]}")) | $(summary $(kib "${r_http[@]}")) |"
echo "| local file (cold page cache) | $(FMT=%.2f summary $(secs "${r_local[@]}")) | $(summary $(kib "${r_local[@]}")) |"
echo
echo "region counts: identical for mount cold, mount warm, HTTP and local in every run ($(paste -sd+ "$work/reg1.local" | bc) records in total)"
