#!/usr/bin/env bash
# Every scorefs figure against the limits of this machine, measured in the same run: what a do-nothing
# FUSE filesystem on scorefs's binding and mount options reaches (scripts/null-fuse.mjs), the local file,
# curl from the origin, and two other HTTP filesystems (rclone mount, httpfs2) on the same origin.
# Usage: scripts/bench-ceiling.sh [DATA_DIR]   (default bench-data/1G; built if absent; needs root and
#   `bash scripts/setup.sh --bench`: nginx, rclone, httpfs2)
#   RUNS=N (default 3): tables give the median of N runs; ratios are taken within each run.
#   CONC_MIB=N (default 64): size of each of the 16 files of group 2.
#   RESULTS=DIR (default bench-results/ceiling-<UTC time>): raw.tsv (every figure), tables.md, meta.txt.
#   CEILING_GROUPS (default "seq par regions"): which of the groups below to run.
#   READ_AHEAD_KB (default 128, scorefs's default): the kernel readahead of every FUSE mount here
#     (scorefs --read-ahead, null-fuse --read-ahead-kb; rclone and httpfs2 are left as they mount).
# The origin is nginx serving a tmpfs copy of the objects (the 1.0 GiB BAM + its index, 16 random 64 MiB
# files), so it is not slowed by disk; `scorefs serve --object-base-url` hands out URLs on it, as Score
# hands out S3 URLs. Every sequential read is `dd bs=1M` to /dev/null; "cold" means the page cache was
# dropped (echo 3 > /proc/sys/vm/drop_caches) just before. Groups, each run:
#   1. one reader of the BAM: null-fuse (its raw binding, and scorefs's own FUSE layer over null files),
#      first and second read in one mount; the local file cold and page-cached; MD5's CPU cost on this
#      CPU (one stream, and 16 Score parts side by side as the cache's checks hash them); curl from nginx; scorefs
#      with an empty cache, again in the same mount, after a remount (origin bytes must be 0), again, and
#      again with the page cache dropped (the daemon's code compiled by then: steady state);
#      rclone mount --vfs-cache-mode full cold, again, after a remount; httpfs2 first and again. With
#      each daemon's CPU seconds per GiB (utime+stime of /proc/PID/stat) and peak RSS (VmHWM).
#      Before each read, fincore says how much of the file the page cache held (others may drop it).
#   2. 16 concurrent readers of 16 different 64 MiB files (scripts/parallel-read.mjs: 1 MiB reads, each
#      timed): null-fuse, local files (cold), 16 curls, scorefs cold and after a remount.
#   3. 50 random 1 kb BAM regions (seed 20261126, as bench-mount.sh), `samtools view -c` in one call and
#      one call per region, cold: the local file, and through null-fuse answering from it (the binding and
#      the disk together: the limit for random reads), scorefs (empty cache, then the same after a
#      remount: cached, origin bytes should be 0), httpfs2; counts must agree.
set -euo pipefail
for tool in nginx rclone httpfs2 samtools curl python3 bc fincore; do
  command -v "$tool" > /dev/null || { echo "bench-ceiling.sh needs $tool: bash scripts/setup.sh --bench" >&2; exit 1; }
done
source "$(dirname "$0")/bench-lib.sh"
bench_init "${1:-}"

results=${RESULTS:-$repo/bench-results/ceiling-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
results=$(realpath "$results")
raw="$results/raw.tsv"
printf 'run\tgroup\tsubject\tmetric\tvalue\n' > "$raw"
origin='' pids=() fuse_mounts=()

# Mounts and processes of this script first, then bench-lib's (scorefs mounts, the work dir).
ceiling_cleanup() {
  local m p
  for m in "${fuse_mounts[@]}"; do mountpoint -q "$m" && { fusermount -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; }; done
  bench_cleanup
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  [ -z "$origin" ] || rm -rf "$origin"
}
trap ceiling_cleanup EXIT

# record RUN GROUP SUBJECT METRIC VALUE: one raw figure.
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$raw"; }

# --- the origin: nginx over tmpfs ------------------------------------------------------------------
bam_rel=AN-BENCH-BAM/sample.bam
bam_local="$bench/$bam_rel"
bam_size=$(stat -c %s "$bam_local")
groups=" ${CEILING_GROUPS:-seq par regions} "
read_ahead_kb=${READ_AHEAD_KB:-128}
conc_n=16 conc_size=$((${CONC_MIB:-64} * 1024 * 1024))
[[ $groups == *" par "* ]] || conc_n=0
origin=$(mktemp -d /dev/shm/scorefs-ceiling.XXXXXX)
mkdir -p "$origin/www/BENCH/AN-BENCH-BAM" "$work/conc" "$origin/nginx"
cp "$bam_local" "$bam_local.bai" "$origin/www/BENCH/AN-BENCH-BAM/"
for i in $(seq -w 1 "$conc_n"); do
  mkdir -p "$origin/www/CONC/AN-CONC-$i"
  head -c "$conc_size" /dev/urandom > "$work/conc/$i.bin"   # on disk: the local baseline
  cp "$work/conc/$i.bin" "$origin/www/CONC/AN-CONC-$i/part.bin"
done
chmod -R a+rX "$origin"   # nginx's workers run as www-data

nport=$(free_port) hport=$(free_port)
# The second server differs only in adding Accept-Ranges to every response: httpfs2 0.1.4 refuses a
# 206 without it ("GET: server must Accept-Range: bytes"), and nginx sends it on 200 responses only.
cat > "$origin/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $origin/nginx/nginx.pid;
error_log $origin/nginx/error.log;
events { worker_connections 1024; }
http {
  log_format body '\$body_bytes_sent';
  access_log $origin/nginx/access.log body;
  sendfile on;
  tcp_nopush on;
  autoindex on;
  client_body_temp_path $origin/nginx/tmp;
  server { listen 127.0.0.1:$nport; root $origin/www; }
  server { listen 127.0.0.1:$hport; root $origin/www; add_header Accept-Ranges bytes always; }
}
CONF
nginx -c "$origin/nginx/nginx.conf" -p "$origin/nginx" &
pids+=($!)
waits_for 10 curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$nport/BENCH/$bam_rel"
origin_url="http://127.0.0.1:$nport/BENCH/$bam_rel"

# origin_bytes: body bytes nginx has sent (a response is logged when it ends).
origin_bytes() { awk '{ s += $1 } END { printf "%.0f\n", s }' "$origin/nginx/access.log"; }  # %d stops at 2^31 in mawk
# settled_origin_bytes: origin_bytes once unchanged for a second (read-ahead after the reader ends
# belongs to the read); gives up after 60 s.
settled_origin_bytes() {
  local before after deadline=$(( $(date +%s) + 60 ))
  after=$(origin_bytes)
  while [ "$(date +%s)" -lt "$deadline" ]; do
    before=$after; sleep 1; after=$(origin_bytes)
    [ "$after" = "$before" ] && break
  done
  echo "$after"
}

# `scorefs serve` for the catalog and presigned URLs; the objects come from nginx.
serve_up --data "$origin/www" --object-base-url "http://127.0.0.1:$nport"
prehash

# --- measuring one daemon ----------------------------------------------------------------------------

# cache_stat STATS_JSON KEY: one of the block cache's counters in a daemon's stats.json.
cache_stat() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cache"][sys.argv[2]])' "$1" "$2"; }

# seq_read RUN SUBJECT FILE [PID]: one timed `dd bs=1M` of FILE; records MB/s, origin bytes (settled)
# and, with PID, the daemon's CPU s/GiB during the read and until it went idle, and its VmHWM.
seq_read() {
  local run=$1 subject=$2 file=$3 pid=${4:-} size t0 t1 b0 b1 c0 c1 c2
  size=$(stat -c %s "$file")
  # Other processes on this machine may drop the page cache too: how much of FILE it held before.
  record "$run" seq "$subject" resident_before "$(calc "$(fincore -b -n -o RES "$file" 2>/dev/null || echo 0) / $size")"
  b0=$(origin_bytes)
  [ -z "$pid" ] || c0=$(cpu_seconds "$pid")
  t0=$(now)
  dd if="$file" of=/dev/null bs=1M status=none
  t1=$(now)
  [ -z "$pid" ] || c1=$(cpu_seconds "$pid")
  b1=$(settled_origin_bytes)
  record "$run" seq "$subject" mbps "$(calc "$size / ($t1 - $t0) / 1e6")"
  record "$run" seq "$subject" origin_bytes "$((b1 - b0))"
  if [ -n "$pid" ]; then
    c2=$(settled_cpu "$pid")
    record "$run" seq "$subject" cpu_s_per_gib "$(calc "($c1 - $c0) / ($size / 2**30)")"
    record "$run" seq "$subject" cpu_idle_s_per_gib "$(calc "($c2 - $c0) / ($size / 2**30)")"
    record "$run" seq "$subject" hwm_mib "$(hwm_mib "$pid")"
  fi
  echo "run $run: $subject $(calc "round($size / ($t1 - $t0) / 1e6)") MB/s, origin $((b1 - b0)) B" >&2
}

# null_fuse LAYER MNT SIZE FILES [OPTION...]: starts scripts/null-fuse.mjs; sets $nf_pid. It runs in
# the environment scorefs's daemon mounts in (FUSE requests of up to 1 MiB, two malloc arenas).
null_fuse() {
  mkdir -p "$2"
  rm -f "$2.out" "$2.err" # a mount at the same path earlier in the run left its "mounted"
  # shellcheck disable=SC2046 # NAME=VALUE words
  env $(mount_environment) node "$repo/scripts/null-fuse.mjs" "$2" --layer "$1" --size "$3" --files "$4" --read-ahead-kb "$read_ahead_kb" "${@:5}" > "$2.out" 2> "$2.err" &
  nf_pid=$!
  pids+=("$nf_pid") fuse_mounts+=("$2")
  waits_for 30 grep -qs 'mounted' "$2.out" || { echo "null-fuse did not mount: $(cat "$2.err")" >&2; exit 1; }
}
# stop_pid PID: SIGTERM to a process this script started, waits for it (30 s), forgets it.
stop_pid() {
  local p keep=()
  kill "$1" 2>/dev/null || true
  # Gone, or a zombie waiting for `wait` (kill -0 would still succeed on one).
  waits_for 30 bash -c "[ ! -e /proc/$1 ] || grep -qs '^[0-9]* (.*) Z' /proc/$1/stat" || echo "pid $1 did not exit" >&2
  wait "$1" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

# rclone_mount MNT CACHE: rclone's HTTP backend on the BAM's directory on nginx; sets $rc_pid.
rclone_mount() {
  mkdir -p "$1" "$2"
  rclone mount :http: "$1" --http-url "http://127.0.0.1:$nport/BENCH/AN-BENCH-BAM/" --vfs-cache-mode full \
    --cache-dir "$2" --read-only --config /dev/null --log-file "$work/rclone.log" &
  rc_pid=$!
  pids+=("$rc_pid") fuse_mounts+=("$1")
  waits_for 30 mountpoint -q "$1" || { echo "rclone did not mount: $(tail -5 "$work/rclone.log")" >&2; exit 1; }
}

# httpfs2_mount MNT URL: httpfs2 in the foreground (so its pid is known) on the Accept-Ranges server;
# the file appears as MNT/<basename of URL>. Sets $hf_pid.
httpfs2_mount() {
  mkdir -p "$1"
  httpfs2 -f -c /dev/null "$2" "$1" > "$1.log" 2>&1 &
  hf_pid=$!
  pids+=("$hf_pid") fuse_mounts+=("$1")
  waits_for 30 mountpoint -q "$1" || { echo "httpfs2 did not mount: $(cat "$1.log")" >&2; exit 1; }
}
fuse_unmount() { fusermount -u "$1"; }

# md5_limits RUN: CPU s/GiB of MD5 on this CPU, the floor of the daemon's MD5 checks: one stream (Node's
# MD5, OpenSSL), and 16 streams side by side in the lanes of md5-lanes.node (Score parts, as the checks
# hash them). 1 GiB of random bytes, in 1 MiB pieces.
md5_limits() {
  local lanes
  lanes=$(node --input-type=module -e "
    import { randomBytes } from 'node:crypto';
    const { md5Lanes, NodeMd5Lanes } = await import('$repo/build/src/cache/md5-lanes.js');
    const pieces = Array.from({ length: 16 }, () => randomBytes(1 << 20));
    const cost = (lanes) => { const c0 = process.cpuUsage(); for (let i = 0; i < 64; i++) lanes.update(pieces); const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
    console.log(cost(new NodeMd5Lanes(16)), cost(md5Lanes(16)));")
  record "$1" seq md5-one-stream cpu_s_per_gib "${lanes% *}"
  record "$1" seq md5-16-lanes cpu_s_per_gib "${lanes#* }"
}

# --- group 1: one sequential reader ----------------------------------------------------------------
seq_run() {
  local r=$1 layer m
  for layer in raw scorefs; do
    m="$work/null-$layer-$r"
    null_fuse "$layer" "$m" "$bam_size" 1
    drop_caches
    seq_read "$r" "null-$layer" "$m/f00.bin" "$nf_pid"
    seq_read "$r" "null-$layer-again" "$m/f00.bin"
    stop_pid "$nf_pid"
  done

  drop_caches
  seq_read "$r" local "$bam_local"
  seq_read "$r" local-cached "$bam_local"
  md5_limits "$r"

  local b0 b1
  b0=$(origin_bytes)
  record "$r" seq curl mbps "$(calc "$(curl -s -o /dev/null -w '%{speed_download}' "$origin_url") / 1e6")"
  b1=$(settled_origin_bytes)
  record "$r" seq curl origin_bytes "$((b1 - b0))"

  mount_fresh "scorefs-$r" --read-ahead "${read_ahead_kb}K"
  drop_caches
  seq_read "$r" scorefs-cold "$mnt/$bam_rel" "$daemon_pid"
  cp "$mnt/.scorefs/stats.json" "$results/run$r-scorefs-cold-stats.json"
  seq_read "$r" scorefs-cold-again "$mnt/$bam_rel"
  unmount_at "$mnt"
  mount_at "$mnt" "$cache" --read-ahead "${read_ahead_kb}K"
  drop_caches
  seq_read "$r" scorefs-warm "$mnt/$bam_rel" "$daemon_pid"
  cp "$mnt/.scorefs/stats.json" "$results/run$r-scorefs-warm-stats.json"
  record "$r" seq scorefs-warm stats_network_bytes "$(cache_stat "$results/run$r-scorefs-warm-stats.json" networkBytes)"
  seq_read "$r" scorefs-warm-again "$mnt/$bam_rel"
  # Once more from the disk tier: the daemon's first GiB also paid for V8 compiling its code.
  drop_caches
  seq_read "$r" scorefs-warm-steady "$mnt/$bam_rel" "$daemon_pid"
  unmount_at "$mnt"
  rm -rf "$work/scorefs-$r"

  m="$work/rclone-$r"
  rclone_mount "$m/mnt" "$m/cache"
  drop_caches
  seq_read "$r" rclone-cold "$m/mnt/sample.bam" "$rc_pid"
  seq_read "$r" rclone-cold-again "$m/mnt/sample.bam"
  fuse_unmount "$m/mnt"; stop_pid "$rc_pid"
  rclone_mount "$m/mnt" "$m/cache"
  drop_caches
  seq_read "$r" rclone-warm "$m/mnt/sample.bam" "$rc_pid"
  fuse_unmount "$m/mnt"; stop_pid "$rc_pid"
  rm -rf "$m"

  m="$work/httpfs2-$r"
  httpfs2_mount "$m" "http://127.0.0.1:$hport/BENCH/$bam_rel"
  drop_caches
  seq_read "$r" httpfs2 "$m/sample.bam" "$hf_pid"
  seq_read "$r" httpfs2-again "$m/sample.bam"
  fuse_unmount "$m"; stop_pid "$hf_pid"
}

# --- group 2: 16 concurrent readers ----------------------------------------------------------------
# par_read RUN SUBJECT [PID] FILE...: scripts/parallel-read.mjs over the files; records its figures,
# origin bytes and, with a PID (a number), the daemon's CPU s/GiB and VmHWM.
par_read() {
  local run=$1 subject=$2 pid='' b0 b1 c0 c1 out
  shift 2
  if [[ $1 =~ ^[0-9]+$ ]]; then pid=$1; shift; fi
  b0=$(origin_bytes)
  [ -z "$pid" ] || c0=$(cpu_seconds "$pid")
  out=$(UV_THREADPOOL_SIZE=$# node "$repo/scripts/parallel-read.mjs" "$@")
  [ -z "$pid" ] || c1=$(cpu_seconds "$pid")
  b1=$(settled_origin_bytes)
  python3 - "$repo/scripts" "$run" "$subject" "$out" >> "$raw" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from stats import median, percentile
run, subject, j = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
lat = j["readLatenciesMs"]
rows = {"agg_mbps": j["aggregateMBps"], "reader_min": min(j["readerMBps"]), "reader_median": median(j["readerMBps"]),
        "reader_max": max(j["readerMBps"]), "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99), "max_ms": max(lat), "bytes": j["bytes"]}
for k, v in rows.items(): print(f"{run}\tpar\t{subject}\t{k}\t{v}")
PY
  record "$run" par "$subject" origin_bytes "$((b1 - b0))"
  if [ -n "$pid" ]; then
    record "$run" par "$subject" cpu_s_per_gib "$(calc "($c1 - $c0) / ($conc_n * $conc_size / 2**30)")"
    record "$run" par "$subject" hwm_mib "$(hwm_mib "$pid")"
  fi
  echo "run $run: $conc_n readers, $subject: $(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["aggregateMBps"]))' "$out") MB/s" >&2
}

par_run() {
  local r=$1 m i files=()
  m="$work/null-par-$r"
  null_fuse raw "$m" "$conc_size" "$conc_n"
  drop_caches
  par_read "$r" null-raw "$nf_pid" "$m"/f*.bin
  stop_pid "$nf_pid"

  drop_caches
  par_read "$r" local "$work"/conc/*.bin

  # 16 curls at once: aggregate = all bytes / wall time; each curl's own rate is a reader's.
  local t0 t1 b0 b1 curl_pids=()
  b0=$(origin_bytes); t0=$(now)
  for i in $(seq -w 1 "$conc_n"); do
    curl -s -o /dev/null -w '%{speed_download}\n' "http://127.0.0.1:$nport/CONC/AN-CONC-$i/part.bin" > "$work/curl-$i.out" &
    curl_pids+=($!)
  done
  for i in "${curl_pids[@]}"; do wait "$i"; done
  t1=$(now); b1=$(settled_origin_bytes)
  python3 - "$repo/scripts" "$r" "$((conc_n * conc_size))" "$(calc "$t1 - $t0")" "$work"/curl-*.out >> "$raw" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from stats import median
run, total, wall = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
rates = [float(open(f).read()) / 1e6 for f in sys.argv[5:]]
for k, v in {"agg_mbps": total / wall / 1e6, "reader_min": min(rates), "reader_median": median(rates), "reader_max": max(rates)}.items():
    print(f"{run}\tpar\tcurl\t{k}\t{v}")
PY
  record "$r" par curl origin_bytes "$((b1 - b0))"

  mount_fresh "scorefs-par-$r" --read-ahead "${read_ahead_kb}K"
  for i in $(seq -w 1 "$conc_n"); do files+=("$mnt/AN-CONC-$i/part.bin"); done
  drop_caches
  par_read "$r" scorefs-cold "$daemon_pid" "${files[@]}"
  # Block writes skipped (the disk's queue was full): what the remount below must fetch again.
  record "$r" par scorefs-cold disk_writes_skipped "$(cache_stat "$mnt/.scorefs/stats.json" diskWritesSkipped)"
  unmount_at "$mnt"
  mount_at "$mnt" "$cache" --read-ahead "${read_ahead_kb}K"
  drop_caches
  par_read "$r" scorefs-warm "$daemon_pid" "${files[@]}"
  unmount_at "$mnt"
  rm -rf "$work/scorefs-par-$r"
}

# --- group 3: region queries ------------------------------------------------------------------------
mapfile -t regions < <(random_regions)
[ "${#regions[@]}" = 50 ] || { echo "expected 50 regions from $bench/AN-BENCH-REF/ref.fa.fai" >&2; exit 1; }

# region_query RUN SUBJECT MODE BAM INDEX: cold page cache; MODE one (a call with all 50 regions) or
# each (a call per region); records seconds and origin bytes; the counts go to $work/SUBJECT-MODE-RUN.
region_query() {
  local run=$1 subject=$2 mode=$3 bam=$4 idx=$5 out="$work/counts-$3-$1-$2" b0 b1 t0 t1 region
  drop_caches
  b0=$(origin_bytes); t0=$(now)
  if [ "$mode" = one ]; then
    samtools view -c -X "$bam" "$idx" "${regions[@]}" > "$out"
  else
    : > "$out"
    for region in "${regions[@]}"; do samtools view -c -X "$bam" "$idx" "$region" >> "$out"; done
  fi
  t1=$(now); b1=$(settled_origin_bytes)
  record "$run" regions "$subject-$mode" seconds "$(calc "$t1 - $t0")"
  record "$run" regions "$subject-$mode" origin_bytes "$((b1 - b0))"
  record "$run" regions "$subject-$mode" records "$(paste -sd+ "$out" | bc)"
  echo "run $run: regions, $subject, $mode: $(calc "round($t1 - $t0, 2)") s, origin $((b1 - b0)) B" >&2
}

regions_run() {
  local r=$1 mode m
  for mode in one each; do
    region_query "$r" local "$mode" "$bam_local" "$bam_local.bai"
    m="$work/null-reg-$r"
    null_fuse raw "$m" 0 1 --file "$bam_local"
    region_query "$r" null-fuse "$mode" "$m/sample.bam" "$bam_local.bai"
    fuse_unmount "$m"; stop_pid "$nf_pid"
    mount_fresh "scorefs-reg-$r" --read-ahead "${read_ahead_kb}K"
    region_query "$r" scorefs "$mode" "$mnt/$bam_rel" "$mnt/$bam_rel.bai"
    unmount_at "$mnt"
    mount_at "$mnt" "$cache" --read-ahead "${read_ahead_kb}K"
    region_query "$r" scorefs-remount "$mode" "$mnt/$bam_rel" "$mnt/$bam_rel.bai"
    unmount_at "$mnt"
    rm -rf "$work/scorefs-reg-$r"
    m="$work/httpfs2-reg-$r"
    httpfs2_mount "$m/bam" "http://127.0.0.1:$hport/BENCH/$bam_rel"
    local bam_pid=$hf_pid
    httpfs2_mount "$m/bai" "http://127.0.0.1:$hport/BENCH/$bam_rel.bai"
    region_query "$r" httpfs2 "$mode" "$m/bam/sample.bam" "$m/bai/sample.bam.bai"
    fuse_unmount "$m/bam"; fuse_unmount "$m/bai"; stop_pid "$bam_pid"; stop_pid "$hf_pid"
    local s
    for s in null-fuse scorefs scorefs-remount httpfs2; do
      cmp -s "$work/counts-$mode-$r-$s" "$work/counts-$mode-$r-local" ||
        { echo "region counts differ: $s vs local ($mode)" >&2; paste "$work/counts-$mode-$r-$s" "$work/counts-$mode-$r-local" >&2; exit 1; }
    done
  done
}

# --- run -----------------------------------------------------------------------------------------------
{
  echo "started $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(uname -r)"
  echo "data: $bam_local ($bam_size B); $conc_n x $conc_size B random files; RUNS=$runs"
  echo "tools: $(nginx -v 2>&1); $(rclone version | head -1); $(httpfs2 2>&1 | head -1); $(samtools --version | head -1); node $(node --version)"
  echo "scorefs: $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- src || echo ' + uncommitted src changes')"
} | tee "$results/meta.txt"
for r in $(seq "$runs"); do
  [[ $groups != *" seq "* ]] || seq_run "$r"
  [[ $groups != *" par "* ]] || par_run "$r"
  [[ $groups != *" regions "* ]] || regions_run "$r"
  echo "run $r done $(date -u '+%H:%M:%S'); load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results/meta.txt"
done
echo "ended $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results/meta.txt"
echo
python3 "$repo/scripts/ceiling-tables.py" "$raw" | tee "$results/tables.md"
echo
echo "raw figures: $results"
