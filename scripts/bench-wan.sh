#!/usr/bin/env bash
# At a distance: scorefs against its baselines over a simulated WAN link, side by side in one run.
# Usage: scripts/bench-wan.sh   (needs root and a built tree; builds its data under bench-data/ if absent)
#   RTT_MS=N (default 60): round trip to the server. Every response's headers wait N ms and a request
#     that opens a connection waits 2N (its TCP handshake), through `scorefs serve`'s latencyMs switch.
#   PER_CONNECTION_MBPS=N (default 40): each object response is capped at N MB/s, as an object store
#     caps one connection.
#   RUNS=N (default 3; 1 for a quick look): tables give "median (min–max)" over the runs.
#   BAM_SET (default 200M): the make-bench-data.sh set the region rows read; the cohort is 100 hardlinks
#     of its BAM under analyses of their own (100 objects to Score, one file on disk, hashed once).
#   ROWS (default "sequential download warm regions cohort catalog"): which rows to measure;
#   MOUNT_ARGS, DOWNLOAD_ARGS: options for the second mount of the sequential row (the first has
#     --connections 1: one range GET at a time) and the second download (the first has --parallel 1);
#   CATALOGS (default "2000 100000"): catalog sizes for the first-mount rows;
#   MOUNT_DEADLINE (default 180): seconds a first mount may take before it is reported as not ready.
#   RESULTS_DIR (default bench-results/wan-<UTC time>): raw.csv (row, system, metric, run, value) and
#     table.md, the table printed at the end.
# The link is the server's latency and per-response throttle, not a network: see docs/benchmarks.md.
set -euo pipefail
export RTT_MS=${RTT_MS:-60} PER_CONNECTION_MBPS=${PER_CONNECTION_MBPS:-40}
source "$(dirname "$0")/bench-lib.sh"
bam_set=${BAM_SET:-200M}
rows=" ${ROWS:-sequential download warm regions cohort catalog} "
catalogs=${CATALOGS-2000 100000}
[[ $rows == *" catalog "* ]] || catalogs=''
wants() { [[ $rows == *" $1 "* ]]; }
mount_deadline=${MOUNT_DEADLINE:-180}
results=${RESULTS_DIR:-$repo/bench-results/wan-$(date -u +%Y%m%dT%H%M%SZ)}
bench_init "$repo/bench-data/$bam_set" "$bam_set"
mkdir -p "$results"
csv="$results/raw.csv"
echo "row,system,metric,run,value" > "$csv"
started=$SECONDS

# --- data: one directory the main server serves ------------------------------------------------------
# WAN/AN-RAND-512M/random.bin, WAN/AN-RAND-1G/random.bin (random bytes), WAN/AN-BAM/sample.bam(.bai),
# COHORT/AN-COHORT-001..100/sample.bam(.bai): hardlinks into the BAM set, so they cost no space.
wan_data="$repo/bench-data/wan-$bam_set"
if [ ! -f "$wan_data/.wan-complete" ]; then
  echo "building $wan_data" >&2
  rm -rf "$wan_data" && mkdir -p "$wan_data/WAN"/{AN-RAND-512M,AN-RAND-1G,AN-BAM}
  head -c 512M /dev/urandom > "$wan_data/WAN/AN-RAND-512M/random.bin"
  head -c 1G /dev/urandom > "$wan_data/WAN/AN-RAND-1G/random.bin"
  ln "$bench/AN-BENCH-BAM/sample.bam" "$bench/AN-BENCH-BAM/sample.bam.bai" "$wan_data/WAN/AN-BAM/"
  for i in $(seq -w 1 100); do
    mkdir -p "$wan_data/COHORT/AN-COHORT-$i"
    ln "$bench/AN-BENCH-BAM/sample.bam" "$bench/AN-BENCH-BAM/sample.bam.bai" "$wan_data/COHORT/AN-COHORT-$i/"
  done
  touch "$wan_data/.wan-complete"
fi
for n in $catalogs; do bash "$repo/scripts/make-catalog-data.sh" "$repo/bench-data/catalog-$n" "$n" >&2; done

echo "link: RTT ${RTT_MS} ms (latencyMs), ${PER_CONNECTION_MBPS} MB/s per object response; $runs runs;" \
  "load average at start $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')" | tee "$results/setup.txt"
echo "hashing the objects once (not measured)..." >&2
start_server "$wan_data"
main_base=$base
run=0

# record ROW SYSTEM METRIC VALUE: one raw figure of this run.
record() { printf '"%s","%s","%s",%s,%s\n' "$1" "$2" "$3" "$run" "$4" >> "$csv"; }
# ids and URLs (fetched over the link, outside any timing)
rand512_id=$(object_id AN-RAND-512M random.bin) rand1g_id=$(object_id AN-RAND-1G random.bin)
rand512_url=$(external_url "$rand512_id") rand1g_url=$(external_url "$rand1g_id")
bam_url=$(external_url "$(object_id AN-BAM sample.bam)") bai_url=$(external_url "$(object_id AN-BAM sample.bam.bai)")
size512=$(stat -c %s "$wan_data/WAN/AN-RAND-512M/random.bin")
size1g=$(stat -c %s "$wan_data/WAN/AN-RAND-1G/random.bin")
mbps() { calc "$1 / ($3 - $2) / 1e6"; }  # BYTES T0 T1

# --- 1. cold sequential read of 512 MiB ---------------------------------------------------------------
# mount_cat SYSTEM [MOUNT_OPTION...]: one cold `cat` through a fresh mount: MB/s, range GETs, bytes fetched
# over the size, and from the daemon's stats.json the most GETs in flight at once, its adaptive limit at
# the end, its retries and the bytes it read back from its disk tier; and the daemon's peak RSS.
mount_cat() {
  local row="cold sequential read, 512 MiB" sys=$1 t0 t1 b0 b1 r0 r1
  shift
  mount_fresh "seq$run" "$@"
  drop_caches
  b0=$(object_bytes) r0=$(requests object) t0=$(now)
  cat "$mnt/AN-RAND-512M/random.bin" > /dev/null
  t1=$(now)
  b1=$(settled_object_bytes) r1=$(requests object)
  record "$row" "$sys" "MB/s" "$(mbps "$size512" "$t0" "$t1")"
  record "$row" "$sys" "range GETs" "$((r1 - r0))"
  record "$row" "$sys" "fetched/size" "$(calc "$((b1 - b0)) / $size512")"
  python3 - "$mnt/.scorefs/stats.json" <<'PY' | while read -r metric value; do record "$row" "$sys" "${metric//_/ }" "$value"; done
import json, sys
s = json.load(open(sys.argv[1]))
print("most_GETs_at_once", s["cache"]["fetchesInFlightPeak"])
print("prefetch_limit_at_the_end", s["cache"]["prefetchLimit"])
print("retries", s["retries"])
print("MB_read_back_from_disk", s["cache"]["bytesFromDisk"] / 1e6)
PY
  record "$row" "$sys" "daemon peak RSS MiB" "$(awk '/^VmHWM/ {print $2 / 1024}' "/proc/$daemon_pid/status")"
  unmount_at "$mnt"
  rm -rf "$work/seq$run"
}

sequential_run() {
  local row="cold sequential read, 512 MiB" t0 t1 r0 r1
  mount_cat "mount (cat), --connections 1" --connections 1
  mount_cat "mount (cat)${MOUNT_ARGS:+, $MOUNT_ARGS}" ${MOUNT_ARGS:-}
  drop_caches
  record "$row" "curl, 1 connection" "MB/s" "$(calc "$(curl -sf -o /dev/null -w '%{speed_download}' "$rand512_url") / 1e6")"
  # 8 range GETs at once, one eighth each: what the link gives 8 connections.
  drop_caches
  local part=$(( (size512 + 7) / 8 )) i pids=()
  r0=$(requests object) t0=$(now)
  for i in $(seq 0 7); do
    curl -sf -o /dev/null -r "$((i * part))-$(( (i + 1) * part - 1 ))" "$rand512_url" & pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  t1=$(now) r1=$(requests object)
  record "$row" "curl, 8 range GETs at once" "MB/s" "$(mbps "$size512" "$t0" "$t1")"
  record "$row" "curl, 8 range GETs at once" "range GETs" "$((r1 - r0))"
}

# --- 2. the 1 GiB object to a file (scorefs download) and into a cache (scorefs cache warm) ------------
# transfer ROW SYSTEM CMD...: runs CMD from a cold page cache; records MB/s, range GETs and bytes fetched
# over the size.
transfer() {
  local row=$1 sys=$2 t0 t1 b0 b1 r0 r1
  shift 2
  drop_caches
  b0=$(object_bytes) r0=$(requests object) t0=$(now)
  "$@"
  t1=$(now)
  b1=$(settled_object_bytes) r1=$(requests object)
  record "$row" "$sys" "MB/s" "$(mbps "$size1g" "$t0" "$t1")"
  record "$row" "$sys" "range GETs" "$((r1 - r0))"
  record "$row" "$sys" "fetched/size" "$(calc "$((b1 - b0)) / $size1g")"
}

# scorefs_download [OPTION...]: the 1 GiB object into $work/dl$run/scorefs, compared with the original.
scorefs_download() {
  local out="$work/dl$run"
  rm -rf "$out/scorefs"
  STORAGE_URL=$main_base METADATA_URL=$main_base "$scorefs" download --object-id "$rand1g_id" --output-dir "$out/scorefs" \
    "$@" > "$out/download.log" 2>&1 || { cat "$out/download.log" >&2; exit 1; }
  cmp -s "$out/scorefs/random.bin" "$wan_data/WAN/AN-RAND-1G/random.bin" || { echo "download differs from the object" >&2; exit 1; }
}

download_run() {
  local row="download 1 GiB to a file" out="$work/dl$run"
  mkdir -p "$out"
  transfer "$row" "scorefs download --parallel 1 (MD5 checked)" scorefs_download --parallel 1
  transfer "$row" "scorefs download${DOWNLOAD_ARGS:+ $DOWNLOAD_ARGS} (MD5 checked)" scorefs_download ${DOWNLOAD_ARGS:-}
  rm -rf "$out/scorefs"
  transfer "$row" "curl -o, 1 connection" curl -sf -o "$out/curl.bin" "$rand1g_url"
  rm -rf "$out"
}

# scorefs_warm [OPTION...]: `scorefs cache warm` of the 1 GiB object into a fresh cache dir.
scorefs_warm() {
  rm -rf "$work/warm$run"
  STORAGE_URL=$main_base METADATA_URL=$main_base "$scorefs" cache warm --cache-dir "$work/warm$run" "$rand1g_id" "$@" \
    > "$work/warm.log" 2>&1 || { cat "$work/warm.log" >&2; exit 1; }
}

warm_run() {
  local row="cache warm 1 GiB"
  transfer "$row" "scorefs cache warm --connections 1" scorefs_warm --connections 1
  transfer "$row" "scorefs cache warm" scorefs_warm
  rm -rf "$work/warm$run"
}

# --- 3. first mount of a catalog ----------------------------------------------------------------------
# One server per catalog (started once, below); a fresh mount with an empty cache.
catalog_run() {
  local n=$1 cbase=$2 row="first mount, $1 objects" t0 t1 a0 a1
  local base=$cbase
  local sys="scorefs mount"
  a0=$(requests api) t0=$(now)
  if mount_fresh "cat$n-$run" --ready-timeout "$mount_deadline" > "$work/cat$n.mount.log" 2>&1; then
    t1=$(now) a1=$(requests api)
    record "$row" "$sys" "s until mount returned" "$(calc "$t1 - $t0")"
    record "$row" "$sys" "Score/SONG requests before it returned" "$((a1 - a0))"
    record "$row" "$sys" "daemon RSS MiB" "$(awk '/^VmRSS/ {print $2 / 1024}' "/proc/$daemon_pid/status")"
    t0=$(now); ls "$mnt" > /dev/null; t1=$(now)
    record "$row" "$sys" "ms for ls of the root ($((n / 2)) analyses)" "$(calc "($t1 - $t0) * 1000")"
    t0=$(now); ls -l "$mnt/AN-CAT-000001" > /dev/null; t1=$(now)
    record "$row" "$sys" "ms for ls -l of one analysis" "$(calc "($t1 - $t0) * 1000")"
    unmount_at "$mnt"
  else
    a1=$(requests api)
    echo "mount of $n objects failed (--ready-timeout $mount_deadline): $(tail -3 "$work/cat$n.mount.log")" >&2
    record "$row" "$sys" "s until mount returned" "failed after $(calc "round($(now) - $t0)") s"
    record "$row" "$sys" "Score/SONG requests before it returned" "$((a1 - a0))"
  fi
  rm -rf "$work/cat$n-$run"
}

# --- 4. 30 random 1 kb regions; 5. the cohort -----------------------------------------------------------
# 31 regions: the first 30 for the regions row, the last for the cohort.
random_regions 31 20261206 > "$work/regions-31.txt"
head -30 "$work/regions-31.txt" > "$work/regions.txt"
tail -1 "$work/regions-31.txt" > "$work/cohort-region.txt"
cohort_region=$(cat "$work/cohort-region.txt")
# reference counts from the local file
while read -r region; do samtools view -c "$bench/AN-BENCH-BAM/sample.bam" "$region"; done < "$work/regions.txt" > "$work/regions.local"
cohort_count=$(samtools view -c "$bench/AN-BENCH-BAM/sample.bam" "$cohort_region")

# timed ROW SYSTEM LABEL CMD...: runs CMD, records its seconds and the object bytes it caused (settled),
# and fails unless CMD's output equals $work/LABEL.want.
timed() {
  local row=$1 sys=$2 label=$3 t0 t1 b0 b1 per=${PER:-1}
  shift 3
  b0=$(object_bytes) t0=$(now)
  "$@" > "$work/$label.got"
  t1=$(now) b1=$(settled_object_bytes)
  cmp -s "$work/$label.got" "$work/$label.want" ||
    { echo "$row / $sys: counts differ from the local file" >&2; diff "$work/$label.got" "$work/$label.want" >&2 || true; exit 1; }
  record "$row" "$sys" "s" "$(calc "$t1 - $t0")"
  record "$row" "$sys" "MB fetched$([ "$per" = 1 ] || echo " per query")" "$(calc "$((b1 - b0)) / $per / 1e6")"
}
each_region() { local r; while read -r r; do "$@" "$r"; done < "$work/regions.txt"; }
# cohort_mount / cohort_http: "NNN count" for each of the 100 analyses, 8 samtools at once, sorted.
cohort_mount() {
  seq -w 1 100 | xargs -P 8 -I{} sh -c 'echo "{} $(samtools view -c "$1/AN-COHORT-{}/sample.bam" "$2")"' _ "$mnt" "$cohort_region" | sort
}
cohort_http() {
  local i
  for i in $(seq -w 1 100); do echo "$i ${cohort_urls[$i]}"; done |
    xargs -P 8 -L 1 sh -c 'echo "$1 $(samtools view -c -X "$2" "$3" "$0")"' "$cohort_region" | sort
}
declare -A cohort_urls
wants cohort && for i in $(seq -w 1 100); do
  cohort_urls[$i]="$(external_url "$(object_id "AN-COHORT-$i" sample.bam)") $(external_url "$(object_id "AN-COHORT-$i" sample.bam.bai)")"
done
cp "$work/regions.local" "$work/regions.want"
for i in $(seq -w 1 100); do echo "$i $cohort_count"; done > "$work/cohort.want"

regions_run() {
  local row="30 random 1 kb regions, samtools view -c, one after another"
  mount_fresh "reg$run"
  drop_caches
  timed "$row" "mount, cold" regions each_region samtools view -c "$mnt/AN-BAM/sample.bam"
  unmount_at "$mnt"
  rm -rf "$work/reg$run"
  drop_caches
  # htslib may keep a downloaded index in its working directory: a fresh one per run.
  mkdir -p "$work/hts-reg$run"
  (cd "$work/hts-reg$run" && timed "$row" "htslib over presigned URLs (-X URL IDXURL)" regions each_region samtools view -c -X "$bam_url" "$bai_url")
}

cohort_run() {
  local row="cohort: 1 kb region ($cohort_region) in each of 100 BAMs, 8 samtools at once"
  mount_fresh "coh$run"
  drop_caches
  PER=100 timed "$row" "mount, cold" cohort cohort_mount
  drop_caches
  PER=100 timed "$row" "mount, warm (same mount, page cache dropped)" cohort cohort_mount
  unmount_at "$mnt"
  mount_at "$mnt" "$cache"
  drop_caches
  PER=100 timed "$row" "mount, after a remount (page cache dropped)" cohort cohort_mount
  unmount_at "$mnt"
  rm -rf "$work/coh$run"
  mkdir -p "$work/hts-coh$run"
  drop_caches
  (cd "$work/hts-coh$run" && PER=100 timed "$row" "htslib over presigned URLs, cold" cohort cohort_http)
  drop_caches
  (cd "$work/hts-coh$run" && PER=100 timed "$row" "htslib over presigned URLs, again" cohort cohort_http)
}

# --- the runs ----------------------------------------------------------------------------------------
declare -A catalog_base
for n in $catalogs; do
  PREHASH=0 start_server "$repo/bench-data/catalog-$n"
  catalog_base[$n]=$base
done
base=$main_base
for run in $(seq "$runs"); do
  echo "run $run of $runs ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))" >&2
  wants sequential && sequential_run
  wants download && download_run
  wants warm && warm_run
  wants regions && regions_run
  wants cohort && cohort_run
  for n in $catalogs; do catalog_run "$n" "${catalog_base[$n]}"; done
  base=$main_base
done

# --- the table ------------------------------------------------------------------------------------------
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg); $((SECONDS - started)) s in all" | tee -a "$results/setup.txt"
python3 "$repo/scripts/stats.py" table "$csv" | tee "$results/table.md"
echo
echo "raw figures: $csv"
