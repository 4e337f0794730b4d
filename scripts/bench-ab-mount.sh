#!/usr/bin/env bash
# A/B of two git revisions through a real mount, interleaved (A B, then B A, ...): `dd` of a random
# object, cold (empty cache, page cache dropped), then again after a remount (from the disk cache, page
# cache dropped), with the daemon's CPU seconds per GiB (all its threads: during the cold read, until
# it went idle afterwards (MD5 checks included), during the warm read) and its peak RSS. The object's
# bytes come from `scorefs serve` on loopback, or with ORIGIN=nginx from nginx over tmpfs, which
# leaves the CPU to the daemon (`scorefs serve` still answers the API). bench-ab.sh measures the
# engine alone; this adds the binding and the kernel.
# Usage: scripts/bench-ab-mount.sh REV_A REV_B   (a revision may be WORKTREE: the current files)
# Env: ROUNDS (default 4), SIZE (default 1G), MOUNT_ARGS (more mount options, for both), ORIGIN (serve
# or nginx; default serve).
# Needs root (FUSE, drop_caches) and this checkout built (`npm run build`): it runs the server.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
source "$(dirname "$0")/bench-lib.sh"
[ -d "$repo/build/src" ] || { echo "bench-ab-mount.sh serves with this checkout's build: run npm run build first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (drop_caches, FUSE)" >&2; exit 1; }
bench_workdir
trap 'bench_cleanup; git -C "$repo" worktree prune 2>/dev/null || true' EXIT

echo "building $1 and $2" >&2
build_revision "$1" "$work/a"
build_revision "$2" "$work/b"
mkdir -p "$work/data/ST-AB/AN-AB"
head -c "${SIZE:-1G}" /dev/urandom > "$work/data/ST-AB/AN-AB/object.bin"
gib=$(calc "$(stat -c %s "$work/data/ST-AB/AN-AB/object.bin") / 2**30")
if [ "${ORIGIN:-serve}" = nginx ]; then
  nginx_up "$work/data"
  serve_up --data "$work/data" --object-base-url "$nginx_url"
else
  serve_up --data "$work/data"
fi
prehash

# read_rate: MB/s of a dd of the object through $mnt, page cache dropped first.
read_rate() {
  drop_caches
  local t0 t1
  t0=$(now)
  dd if="$mnt/AN-AB/object.bin" of=/dev/null bs=1M status=none
  t1=$(now)
  calc "$gib * 2**30 / ($t1 - $t0) / 1e6"
}

# run SIDE: one cold and one warm read with SIDE's scorefs, as one line of figures.
run() {
  local scorefs="$work/$1/bin/scorefs" c0 c1 c2 cold cold_cpu idle_cpu warm rss
  # shellcheck disable=SC2086 # MOUNT_ARGS is a list of options
  mount_fresh "ab-$1" ${MOUNT_ARGS:-}
  c0=$(cpu_seconds "$daemon_pid")
  cold=$(read_rate)
  c1=$(cpu_seconds "$daemon_pid"); c2=$(settled_cpu "$daemon_pid")
  cold_cpu=$(calc "($c1 - $c0) / $gib") idle_cpu=$(calc "($c2 - $c0) / $gib")
  rss=$(hwm_mib "$daemon_pid")
  unmount_at "$mnt"
  # shellcheck disable=SC2086
  mount_at "$mnt" "$cache" ${MOUNT_ARGS:-}
  c0=$(cpu_seconds "$daemon_pid") warm=$(read_rate)
  echo "$cold $cold_cpu $idle_cpu $warm $(calc "($(cpu_seconds "$daemon_pid") - $c0) / $gib") $rss"
  unmount_at "$mnt"
}

: > "$work/runs.txt"
interleaved "${ROUNDS:-4}" "$work/runs.txt" run

python3 "$repo/scripts/stats.py" ab "$work/runs.txt" "$1" "$2" "cold MB/s:{:.3g}" "cold CPU s/GiB:{:.3g}" \
  "cold CPU s/GiB until idle:{:.3g}" "warm MB/s:{:.3g}" "warm CPU s/GiB:{:.3g}" "cold peak RSS MiB:{:.3g}"
