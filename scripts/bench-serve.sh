#!/usr/bin/env bash
# Object-route throughput of `scorefs serve` next to nginx serving the same directory, 3 runs each.
# Usage: scripts/bench-serve.sh [FILE]   (FILE defaults to a fresh 1 GiB random file in a temp dir)
# Prints MB/s per run, the medians and the ratio scorefs/nginx.
set -euo pipefail
command -v nginx >/dev/null || { echo "bench-serve.sh needs nginx: bash scripts/setup.sh --bench" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
work=$(mktemp -d)
serve_pid='' nginx_pid=''
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

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
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

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

# scorefs serve on a free port.
node "$repo/bin/scorefs" serve --data "$data" --port 0 > "$work/serve.out" 2> "$work/serve.err" &
serve_pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.out" | head -1)
[ -n "$base" ] || { echo "scorefs serve did not start: $(cat "$work/serve.err")" >&2; exit 1; }
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$nport/$study/$analysis/$name" -r 0-0 && break; sleep 0.1; done

id=$(curl -sf "$base/entities?gnosId=$analysis&fileName=$name" | python3 -c 'import sys,json; print(json.load(sys.stdin)["content"][0]["id"])')
# The first spec hashes the file (objectMd5); it is not part of the measurement.
url=$(curl -sf "$base/download/$id?offset=0&length=-1&external=true" | python3 -c 'import sys,json; print(json.load(sys.stdin)["parts"][0]["url"])')
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
python3 - "${s_all[*]}" "${n_all[*]}" <<'PY'
import statistics, sys
s = [float(x) for x in sys.argv[1].split()]
n = [float(x) for x in sys.argv[2].split()]
ms, mn = statistics.median(s), statistics.median(n)
print(f"median: scorefs serve {ms/1e6:.0f} MB/s, nginx {mn/1e6:.0f} MB/s, ratio {ms/mn:.2f}")
PY
