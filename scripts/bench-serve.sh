#!/usr/bin/env bash
# Object-route throughput of `scorefs serve` next to nginx serving the same directory, 3 runs each.
# Usage: scripts/bench-serve.sh [FILE]   (FILE defaults to a fresh 1 GiB random file in a temp dir)
# Prints MB/s per run, the medians and the ratio scorefs/nginx.
set -euo pipefail
command -v nginx >/dev/null || { echo "bench-serve.sh needs nginx: bash scripts/setup.sh --bench" >&2; exit 1; }
source "$(dirname "$0")/bench-lib.sh"
bench_workdir
nginx_pid=''
trap '[ -z "$nginx_pid" ] || { kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null; }; bench_cleanup' EXIT

study=BENCH analysis=AN-BENCH
data="$work/data"
mkdir -p "$data/$study/$analysis"
if [ $# -ge 1 ]; then
  src=$(realpath "$1")
  name=$(basename "$src")
  # scorefs serve ignores symlinks out of DIR: hard-link (same filesystem) or copy.
  ln "$src" "$data/$study/$analysis/$name" 2>/dev/null || cp "$src" "$data/$study/$analysis/$name"
else
  name=big.bin
  head -c $((1024 * 1024 * 1024)) /dev/urandom > "$data/$study/$analysis/$name"
fi
chmod -R a+rX "$work"
size=$(stat -c %s "$data/$study/$analysis/$name")

# nginx (Debian nginx-light), foreground child on a free loopback port.
nport=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$nport;
    root $data;
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!

serve_up --data "$data"
waits_for 10 curl -sf -o /dev/null "http://127.0.0.1:$nport/$study/$analysis/$name" -r 0-0 || { echo "nginx did not start: $(cat "$work/nginx/error.log")" >&2; exit 1; }

prehash   # the first spec of an object hashes it (objectMd5): not part of the measurement
url=$(external_url "$(object_id "$analysis" "$name")")
nginx_url="http://127.0.0.1:$nport/$study/$analysis/$name"

mbps() { python3 -c "import sys; print(f'{float(sys.argv[1])/1e6:.0f}')" "$1"; }
measure() { curl -s -o /dev/null -w '%{speed_download}' "$1"; }
echo "file: $size bytes; $runs runs each (curl -s -o /dev/null -w '%{speed_download}')"
s_all=() n_all=()
for i in $(seq $runs); do
  s=$(measure "$url"); n=$(measure "$nginx_url")
  s_all+=("$s"); n_all+=("$n")
  echo "run $i: scorefs serve $(mbps "$s") MB/s   nginx $(mbps "$n") MB/s"
done
ms=$(python3 "$repo/scripts/stats.py" median "${s_all[@]}") mn=$(python3 "$repo/scripts/stats.py" median "${n_all[@]}")
echo "median: scorefs serve $(mbps "$ms") MB/s, nginx $(mbps "$mn") MB/s, ratio $(calc "round($ms / $mn, 2)")"
