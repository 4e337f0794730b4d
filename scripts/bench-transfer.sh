#!/usr/bin/env bash
# Parallel transfer over a slow link: a cold sequential read through a mount, `scorefs download` and
# `scorefs cache warm` of the 1 GiB BAM, each next to curl (one connection) and to 8 parallel range
# curls, all through one loopback proxy (scripts/slow-link-proxy.mjs) that adds RTT_MS of round trip
# and caps each connection at PER_CONNECTION_MBPS, in front of both the API and the object URLs.
# Usage: scripts/bench-transfer.sh [DATA_DIR]   (default bench-data/1G; needs root)
#   RTT_MS (default 60), PER_CONNECTION_MBPS (default 40), READ_MIB (the MiB each curl and mount
#   measurement reads; default the whole object), RUNS (default 1), PHASES (default "curl mount download
#   warm"), MOUNT_ARGS (added to the second mount, e.g. "--connections 16"), DOWNLOAD_ARGS (added to the
#   second download, e.g. "--validate false").
# Every scorefs measurement runs twice in the same run: with --connections 1 (the baseline: one range
# GET at a time) and with the default connections. Bytes fetched are settled deltas of the server's
# object-bytes counter, divided by the bytes read.
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
bench_init "${1:-}"
runs=${RUNS:-1} rtt=${RTT_MS:-60} cap=${PER_CONNECTION_MBPS:-40}
start_server

node "$repo/scripts/slow-link-proxy.mjs" "${base##*:}" "$rtt" "$cap" > "$work/proxy.out" &
proxy_pid=$!
trap 'kill $proxy_pid 2>/dev/null || true; bench_cleanup' EXIT
for _ in $(seq 100); do grep -q listening "$work/proxy.out" 2>/dev/null && break; sleep 0.1; done
direct=$base
base="http://127.0.0.1:$(awk '{print $2}' "$work/proxy.out")"
# The counter is read straight from the server (not through the slow link).
object_bytes() { curl -sf "$direct/-/metrics" | sed -n 's/^scorefs_server_bytes_sent_total{route="object"} //p'; }

bam_rel=AN-BENCH-BAM/sample.bam
bam_id=$(object_id AN-BENCH-BAM sample.bam)
bam_url=$(external_url "$bam_id") # through the proxy: the server names the host it was asked on
bam_size=$(stat -c %s "$bench/$bam_rel")
read_bytes=$bam_size read_what="the whole object ($bam_size B)"
[ -z "${READ_MIB:-}" ] || read_bytes=$((READ_MIB * 1024 * 1024)) read_what="$READ_MIB MiB"

mbps() { calc "$1 / ($3 - $2) / 1e6"; }

# timed LABEL BYTES CMD...: runs CMD, prints "LABEL MB/s fetched/read".
timed() {
  local label=$1 bytes=$2 t0 t1 b0 b1; shift 2
  drop_caches
  b0=$(object_bytes); t0=$(now)
  "$@"
  t1=$(now); b1=$(settled_object_bytes)
  printf '%-44s %8.1f MB/s   fetched/read %.3f\n' "$label" "$(mbps "$bytes" "$t0" "$t1")" "$(calc "($b1 - $b0) / $bytes")"
}

curl_one() { curl -sf -o /dev/null -r "0-$((read_bytes - 1))" "$bam_url"; }
curl_eight() {
  local i per=$((read_bytes / 8)) pids=()
  for i in $(seq 0 7); do curl -sf -o /dev/null -r "$((i * per))-$(((i + 1) * per - 1))" "$bam_url" & pids+=($!); done
  wait "${pids[@]}"
}
read_head() { head -c "$read_bytes" "$1" > /dev/null; }
mount_cat() {
  local label=$1; shift
  mnt="$work/$label/mnt" cache="$work/$label/cache"
  mkdir -p "$mnt" "$cache"
  STORAGE_URL=$base METADATA_URL=$base "$scorefs" mount "$mnt" --cache-dir "$cache" "$@" > /dev/null || { tail -5 "$cache/scorefs.log" >&2; exit 1; }
  mounts+=("$mnt")
  drop_caches
  timed "mount: cold read ($label)" "$read_bytes" read_head "$mnt/$bam_rel"
  python3 - "$mnt/.scorefs/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
c = s["cache"]
print("    range GETs %d (peak %d at once, prefetch limit at the end %d), retries %d, disk writes skipped %d" % (
    s["requests"], c["fetchesInFlightPeak"], c["prefetchLimit"], s["retries"], c["diskWritesSkipped"]))
PY
  unmount_at "$mnt"
  rm -rf "$work/$label"
}
download() {
  rm -rf "$work/dl"
  STORAGE_URL=$base METADATA_URL=$base "$scorefs" download --object-id "$bam_id" --index false --output-dir "$work/dl" "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
}
warm() {
  rm -rf "$work/warm"
  STORAGE_URL=$base METADATA_URL=$base "$scorefs" cache warm --cache-dir "$work/warm" "$bam_id" "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
}

echo "link: ${rtt} ms RTT, ${cap} MB/s per connection; curl and mount read $read_what; $runs run(s); load average $(cut -d' ' -f1-3 /proc/loadavg)"
phases=" ${PHASES:-curl mount download warm} "
for i in $(seq "$runs"); do
  echo "--- run $i"
  if [[ $phases == *" curl "* ]]; then
    timed "curl, 1 connection " "$read_bytes" curl_one
    timed "curl, 8 parallel ranges " "$read_bytes" curl_eight
  fi
  if [[ $phases == *" mount "* ]]; then
    mount_cat "connections-1" --connections 1
    mount_cat "default" ${MOUNT_ARGS:-}
  fi
  if [[ $phases == *" download "* ]]; then
    timed "download 1 GiB, --parallel 1" "$bam_size" download --parallel 1
    timed "download 1 GiB, defaults ${DOWNLOAD_ARGS:-}" "$bam_size" download ${DOWNLOAD_ARGS:-}
  fi
  if [[ $phases == *" warm "* ]]; then
    timed "cache warm 1 GiB, --connections 1" "$bam_size" warm --connections 1
    timed "cache warm 1 GiB, defaults" "$bam_size" warm
  fi
done
