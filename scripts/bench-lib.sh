# Shared plumbing for scripts/bench-mount.sh, bench-slices.sh and bench-transfer.sh (sourced, not run).
# Gives: a private work dir, one `scorefs serve` on a free port, fresh mounts, object ids and presigned
# URLs, the server's object-bytes counter, page-cache dropping, timing, and cleanup on exit.
# Requires root (drop_caches, FUSE) and a built tree (`npx tsc -p .`).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scorefs="$repo/bin/scorefs"
runs=${RUNS:-3}
shopt -s inherit_errexit
work='' serve_pid='' base=''
mounts=()

# Everything a run leaves behind goes: mounts first (their daemons talk to the server), then the server.
bench_cleanup() {
  local m
  for m in "${mounts[@]}"; do
    mountpoint -q "$m" && "$scorefs" unmount "$m" > /dev/null 2>&1 || true
  done
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true; fi
  [ -n "$work" ] && rm -rf "$work"
}

# bench_init DATA_DIR: resolves (and if needed builds) the 1G bench data set, makes the work dir, arms
# the trap. Sets $data (absolute), $bench (= $data/BENCH) and $work.
bench_init() {
  data=${1:-$repo/bench-data/1G}
  if [ ! -f "$data/BENCH/AN-BENCH-BAM/sample.bam" ]; then
    echo "building bench data in $data (~3 min)" >&2
    bash "$repo/scripts/make-bench-data.sh" "$data" 1G >&2
  fi
  data=$(realpath "$data")
  bench="$data/BENCH"
  work=$(mktemp -d /tmp/scorefs-bench.XXXXXX)
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  [ "$(id -u)" = 0 ] || { echo "needs root (drop_caches, FUSE)" >&2; exit 1; }
}

# start_server: `scorefs serve --data $data` on a free port; sets $base. Asks once for every object's
# download spec so the server's one-off MD5 hashing (tens of seconds for 1 GiB files) is not measured.
# PER_CONNECTION_MBPS=N caps every object response at N MB/s, as object stores cap one connection
# (S3: ~50–100 MB/s each), through the test switchboard.
start_server() {
  local controls=()
  [ -z "${PER_CONNECTION_MBPS:-}" ] || controls=(--enable-test-controls)
  "$scorefs" serve --data "$data" --port 0 "${controls[@]}" > "$work/serve.out" 2> "$work/serve.err" &
  serve_pid=$!
  local _
  for _ in $(seq 300); do grep -q 'listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.out" | head -1)
  [ -n "$base" ] || { echo "scorefs serve did not start: $(cat "$work/serve.err")" >&2; exit 1; }
  if [ -n "${PER_CONNECTION_MBPS:-}" ]; then
    curl -sf -X POST -H 'content-type: application/json' \
      -d "{\"route\":\"object\",\"bytesPerSecond\":$((PER_CONNECTION_MBPS * 1000000))}" "$base/-/faults" > /dev/null
  fi
  curl -sf "$base/entities?size=2000" > "$work/entities.json"
  local id
  for id in $(python3 -c 'import json,sys; print(*[e["id"] for e in json.load(open(sys.argv[1]))["content"]])' "$work/entities.json"); do
    curl -sf -o /dev/null "$base/download/$id?offset=0&length=-1&external=true"
  done
}

# object_id ANALYSIS FILE → the object id of DIR/BENCH/ANALYSIS/FILE.
object_id() {
  python3 - "$work/entities.json" "$1" "$2" <<'PY'
import json, sys
doc, gnos, name = sys.argv[1:]
print(next(e["id"] for e in json.load(open(doc))["content"] if e["gnosId"] == gnos and e["fileName"] == name))
PY
}

# external_url ID → the object's presigned URL (what score-client and htslib would fetch).
external_url() {
  curl -sf "$base/download/$1?offset=0&length=-1&external=true" |
    python3 -c 'import sys,json; print(json.load(sys.stdin)["parts"][0]["url"])'
}

# object_bytes → bytes the server has written on the object route so far (the network cost).
object_bytes() {
  curl -sf "$base/-/metrics" | sed -n 's/^scorefs_server_bytes_sent_total{route="object"} //p'
}

# settled_object_bytes → object_bytes once it has stopped moving for a second: a mount's read-ahead
# goes on after the reader is done, and those bytes belong to the read that caused them.
settled_object_bytes() {
  local before after
  after=$(object_bytes)
  while :; do
    before=$after; sleep 1; after=$(object_bytes)
    [ "$after" = "$before" ] && break
  done
  echo "$after"
}

# mount_at MNT CACHE: mounts the server at MNT with cache dir CACHE (both created); sets $daemon_pid
# from the "pid N" in scorefs mount's ready line.
mount_at() {
  mkdir -p "$1" "$2"
  local line
  line=$(STORAGE_URL=$base METADATA_URL=$base "$scorefs" mount "$1" --cache-dir "$2")
  daemon_pid=$(sed -n 's/.*pid \([0-9]*\).*/\1/p' <<< "$line")
  mounts+=("$1")
}

unmount_at() { "$scorefs" unmount "$1" > /dev/null; }

# A fresh (empty) cache dir and mount point under $work, named by a label; sets $mnt, $cache.
mount_fresh() {
  mnt="$work/$1/mnt" cache="$work/$1/cache"
  rm -rf "$work/$1"
  mount_at "$mnt" "$cache"
}

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

now() { date +%s.%N; }

# summary V1 V2 ...: "median (min–max)" with the given printf format (FMT env, default %.0f).
summary() {
  python3 - "${FMT:-%.0f}" "$@" <<'PY'
import statistics, sys
fmt, xs = sys.argv[1], [float(x) for x in sys.argv[2:]]
print(f"{fmt % statistics.median(xs)} ({fmt % min(xs)}–{fmt % max(xs)})")
PY
}

# calc EXPR: float arithmetic for the few ratios the tables need.
calc() { python3 -c "print($1)"; }
