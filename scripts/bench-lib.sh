# Shared plumbing for scripts/bench-*.sh and scripts/demo.sh (sourced, not run).
# Gives: a private work dir, `scorefs serve` on a free port (waited for) behind a simulated link, fresh
# mounts, object ids and presigned URLs, the server's object-bytes counter, page-cache dropping, timing,
# medians (scripts/stats.py), and cleanup on exit.
# Requires root (drop_caches, FUSE) and a built tree (`npm run build`).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scorefs="$repo/bin/scorefs"
runs=${RUNS:-3}
shopt -s inherit_errexit
work='' serve_pid='' base=''
mounts=() serve_pids=()

# Everything a run leaves behind goes: mounts first (their daemons talk to the server), then the server.
bench_cleanup() {
  local m
  for m in "${mounts[@]}"; do
    mountpoint -q "$m" && "$scorefs" unmount "$m" > /dev/null 2>&1 || true
  done
  local pid
  for pid in "${serve_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  [ -n "$nginx_root" ] && rm -rf "$nginx_root"
  [ -n "$work" ] && rm -rf "$work"
}

# bench_workdir: makes the work dir and arms the trap (bench_init does it for scripts on bench data).
bench_workdir() {
  work=$(mktemp -d /tmp/scorefs-bench.XXXXXX)
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# bench_init DATA_DIR [SIZE]: resolves (and if needed builds) the bench data set of SIZE (default 1G),
# makes the work dir, arms the trap. Sets $data (absolute), $bench (= $data/BENCH) and $work.
bench_init() {
  local size=${2:-1G}
  data=${1:-$repo/bench-data/$size}
  if [ ! -f "$data/BENCH/AN-BENCH-BAM/sample.bam" ]; then
    echo "building bench data in $data (~3 min for 1G)" >&2
    bash "$repo/scripts/make-bench-data.sh" "$data" "$size" >&2
  fi
  data=$(realpath "$data")
  bench="$data/BENCH"
  bench_workdir
  [ "$(id -u)" = 0 ] || { echo "needs root (drop_caches, FUSE)" >&2; exit 1; }
}

# build_revision REV DIR: the revision's compiled tree in DIR/build, with DIR/bin/scorefs to run it
# (REV WORKTREE: this checkout's files as they are). DIR shares this checkout's node_modules; a
# revision's worktree is removed by `git worktree prune` once DIR is gone.
build_revision() {
  local rev=$1 dir=$2
  if [ "$rev" = WORKTREE ]; then
    mkdir -p "$dir"
    ln -s "$repo/node_modules" "$dir/node_modules"
    cp -r "$repo/bin" "$dir/bin" # a copy: node resolves ../build from the launcher's real path
    ln -s "$repo/package.json" "$dir/package.json"
    (cd "$repo" && npx tsc -p . --outDir "$dir/build" && bash scripts/build-native.sh "$dir/build") >&2
  else
    git -C "$repo" worktree add --detach -q "$dir" "$rev"
    ln -s "$repo/node_modules" "$dir/node_modules"
    (cd "$dir" && npx tsc -p . && { [ ! -f scripts/build-native.sh ] || bash scripts/build-native.sh; }) >&2
  fi
}

# interleaved ROUNDS OUT CMD...: runs `CMD... a` and `CMD... b` ROUNDS times, alternating which goes
# first (A B, then B A, ...) so that both meet the same moods of the machine; appends "SIDE OUTPUT" lines to OUT.
interleaved() {
  local rounds=$1 out=$2 round side line order
  shift 2
  for round in $(seq "$rounds"); do
    order="a b"
    [ $((round % 2)) -eq 0 ] && order="b a"
    for side in $order; do
      line="$side $("$@" "$side")"
      echo "round $round: $line" >&2
      echo "$line" >> "$out"
    done
  done
}

# waits_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds; fails after SECONDS.
waits_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# serve_up [SERVE_OPTION...]: `scorefs serve --port 0 SERVE_OPTION...` in the background, until it
# answers (deadline 120 s: a large --data is listed first); sets $base and $serve_pid (stopped on exit,
# as are earlier ones).
serve_up() {
  local out="$work/serve.$((${#serve_pids[@]} + 1))"
  "$scorefs" serve --port 0 "$@" > "$out.out" 2> "$out.err" &
  serve_pid=$!
  serve_pids+=("$serve_pid")
  waits_for 120 grep -qs 'listening on' "$out.out" || { echo "scorefs serve did not start: $(cat "$out.err")" >&2; exit 1; }
  base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$out.out" | head -1)
  waits_for 10 curl -sf -o /dev/null "$base/entities?size=1" || { echo "scorefs serve at $base does not answer" >&2; exit 1; }
}

# nginx_up DIR: nginx serving a tmpfs copy of DIR's files on 127.0.0.1 (an origin that costs next to
# no CPU, unlike `scorefs serve`), as $nginx_url; stopped and removed by bench_cleanup.
nginx_root=
nginx_up() {
  command -v nginx > /dev/null || { echo "needs nginx: bash scripts/setup.sh --bench" >&2; exit 1; }
  nginx_root=$(mktemp -d /dev/shm/scorefs-nginx.XXXXXX)
  mkdir -p "$nginx_root/conf"
  cp -r "$1" "$nginx_root/www"
  chmod -R a+rX "$nginx_root"   # nginx's workers run as www-data
  local port; port=$(free_port)
  cat > "$nginx_root/conf/nginx.conf" <<CONF
worker_processes auto; daemon off; pid $nginx_root/conf/nginx.pid; error_log $nginx_root/conf/error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; client_body_temp_path $nginx_root/conf/tmp;
  server { listen 127.0.0.1:$port; root $nginx_root/www; } }
CONF
  nginx -c "$nginx_root/conf/nginx.conf" -p "$nginx_root/conf" &
  serve_pids+=("$!")
  nginx_url="http://127.0.0.1:$port"
  waits_for 10 curl -s -o /dev/null "$nginx_url/" || { echo "nginx did not start: $(cat "$nginx_root/conf/error.log")" >&2; exit 1; }
}

# prehash: the catalog of $base into $work/entities.json, and one download spec of every object, so the
# server's one-off MD5 hashing (tens of seconds for 1 GiB files) is not measured.
prehash() {
  curl -sf "$base/entities?size=2000" > "$work/entities.json"
  local id
  for id in $(python3 -c 'import json,sys; print(*[e["id"] for e in json.load(open(sys.argv[1]))["content"]])' "$work/entities.json"); do
    curl -sf -o /dev/null "$base/download/$id?offset=0&length=-1&external=true"
  done
}

# start_server [DIR]: serve_up on --data DIR (default $data), prehash (PREHASH=0 skips the hashing, for
# catalogs of tiny objects, but still lists them), then set_link (below).
start_server() {
  local controls=()
  [ -z "${PER_CONNECTION_MBPS:-}${RTT_MS:-}" ] || controls=(--enable-test-controls)
  serve_up --data "${1:-$data}" "${controls[@]}"
  if [ "${PREHASH:-1}" != 0 ]; then prehash; else curl -sf "$base/entities?size=2000" > "$work/entities.json"; fi
  set_link
}

# set_link: the link between clients and $base, through its test switchboard. PER_CONNECTION_MBPS=N caps
# every object response at N MB/s, as object stores cap one connection (S3: ~50–100 MB/s each);
# RTT_MS=N delays every response's headers by N ms (latencyMs; a request that opens a connection waits
# 2N, its TCP handshake included), as a server that far away would. Unset: loopback as it is.
set_link() {
  [ -n "${PER_CONNECTION_MBPS:-}" ] && post_faults "{\"route\":\"object\",\"bytesPerSecond\":$((PER_CONNECTION_MBPS * 1000000))}"
  [ -n "${RTT_MS:-}" ] && post_faults "{\"route\":\"all\",\"latencyMs\":$RTT_MS}"
  return 0
}

post_faults() { curl -sf -X POST -H 'content-type: application/json' -d "$1" "$base/-/faults" > /dev/null; }

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

# requests ROUTE → requests the server has answered on ROUTE (object or api) so far, all statuses.
requests() {
  curl -sf "$base/-/metrics" | awk -v r="route=\"$1\"" 'index($0, "scorefs_server_requests_total{" r) == 1 { n += $2 } END { print n + 0 }'
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

# mount_at MNT CACHE [OPTION...]: mounts the server at MNT with cache dir CACHE (both created) and any
# further scorefs mount options; sets $daemon_pid from the "pid N" in scorefs mount's ready line.
mount_at() {
  local mnt=$1 cache=$2 line
  shift 2
  mkdir -p "$mnt" "$cache"
  mounts+=("$mnt")
  line=$(STORAGE_URL=$base METADATA_URL=$base "$scorefs" mount "$mnt" --cache-dir "$cache" "$@") || return
  daemon_pid=$(sed -n 's/.*pid \([0-9]*\).*/\1/p' <<< "$line")
}

unmount_at() { "$scorefs" unmount "$1" > /dev/null; }

# mount_fresh LABEL [OPTION...]: a fresh (empty) cache dir and mount point under $work, named by a
# label; sets $mnt, $cache.
mount_fresh() {
  mnt="$work/$1/mnt" cache="$work/$1/cache"
  rm -rf "$work/$1"
  mount_at "$mnt" "$cache" "${@:2}"
}

# mount_environment: the variables scorefs's daemon mounts with (src/fuse/mount-environment.ts: the
# preload library, malloc's arenas) as NAME=VALUE words, for other programs on its binding (null-fuse).
mount_environment() {
  node --input-type=module -e "const { mountEnvironment } = await import('$repo/build/src/fuse/mount-environment.js');
    console.log(Object.entries(mountEnvironment(process.env)).map(([k, v]) => k + '=' + v).join(' '));"
}

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# cpu_seconds PID: user + system seconds of all the process's threads so far.
cpu_seconds() { sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($12 + $13) / hz }'; }
# settled_cpu PID: cpu_seconds once it has moved less than 0.02 s in two seconds (background work after
# the reader is done: read-ahead, block writes, and the MD5 checks, which wait for a second without
# reads); gives up after 60 s.
settled_cpu() {
  local before after deadline=$(( $(date +%s) + 60 ))
  after=$(cpu_seconds "$1")
  while [ "$(date +%s)" -lt "$deadline" ]; do
    before=$after; sleep 2; after=$(cpu_seconds "$1")
    [ "$(calc "int($after - $before < 0.02)")" = 1 ] && break
  done
  echo "$after"
}
# hwm_mib PID: the process's peak RSS (VmHWM), MiB.
hwm_mib() { awk '/^VmHWM/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status"; }

now() { date +%s.%N; }

# summary V1 V2 ...: "median (min–max)" with the given printf format (FMT env, default %.0f).
summary() { python3 "$repo/scripts/stats.py" spread "${FMT:-%.0f}" "$@"; }

# calc EXPR: float arithmetic for the few ratios the tables need.
calc() { python3 -c "print($1)"; }

# random_regions [N] [SEED]: N (default 50) deterministic regions of REGION_BASES (default 1000) of the bench BAM, one a line
# (chr:start-end), contigs weighted by length, each inside its contig (from $bench/AN-BENCH-REF/ref.fa.fai;
# seed default 20261126).
random_regions() {
  python3 - "$bench/AN-BENCH-REF/ref.fa.fai" "${1:-50}" "${2:-20261126}" "${REGION_BASES:-1000}" <<'PY'
import random, sys
contigs = [(l.split("\t")[0], int(l.split("\t")[1])) for l in open(sys.argv[1])]
rng = random.Random(int(sys.argv[3]))
bases = int(sys.argv[4])
for _ in range(int(sys.argv[2])):
    name, length = rng.choices(contigs, weights=[c[1] for c in contigs])[0]
    start = rng.randint(1, length - bases + 1)
    print(f"{name}:{start}-{start + bases - 1}")
PY
}
