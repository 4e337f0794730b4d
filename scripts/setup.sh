#!/usr/bin/env bash
# Installs what scorefs, its tests and its scripts need on a Debian machine and builds it. Safe to run any
# number of times: system packages are installed only when missing, npm ci runs only when the lockfile
# changed. Usage: scripts/setup.sh [--test] [--bench]
set -euo pipefail
cd "$(dirname "$0")/.."

# The Debian packages of every program scorefs, the tests, the docs' examples and the scripts run that a
# bare Debian 12 + Node image lacks (coreutils, util-linux, mount, gzip, mawk are always there):
#   libfuse2, fuse (fusermount)      scorefs mount
#   gcc, libc6-dev                   scripts/build-native.sh (fuse-max-pages.so: FUSE requests of 1 MiB)
#   samtools                         the sample data, tests, the docs' examples
#   tabix (bgzip)                    test/slice-edge-cases.test.ts
#   procps (pgrep, ps)               test/mount-errors.test.ts
#   python3                          test/systemd.test.ts, test/server-object-id.test.ts, benchmarks
#   systemd (systemd-analyze, -notify)  test/systemd.test.ts, docs/systemd-and-fstab.md
#   curl                             docs/troubleshooting.md, benchmarks
#   jq                               docs/troubleshooting.md, docs/cache.md (reading stats.json)
# `--test` adds what only the tests run: mmdebstrap and systemd-container (systemd-nspawn), with which
# test/systemd-boot.test.ts boots a Debian system; util-linux-extra (fincore), with which
# test/mount-direct-io.test.ts sees which files are in the page cache; bsdutils (script), with which test/progress.test.ts runs
# the CLI on a pseudo-terminal.
# `--bench` adds what only scripts/bench-* and profile-read.sh run: nginx-light (bench-serve.sh,
# bench-ceiling.sh), bc (bench-mount.sh, bench-ceiling.sh), git (bench-ab.sh), rclone and httpfs2
# (bench-ceiling.sh: the other HTTP filesystems it measures), util-linux-extra (fincore, bench-ceiling.sh),
# linux-perf (profile-read.sh). nginx's package starts an nginx on port 80, hence not by default.
packages=(libfuse2 fuse gcc libc6-dev samtools tabix procps python3 systemd curl jq)
for arg in "$@"; do
  case "$arg" in
    --test) packages+=(mmdebstrap systemd-container util-linux-extra bsdutils) ;;
    --bench) packages+=(nginx-light bc git rclone httpfs2 util-linux-extra linux-perf) ;;
    *) echo "setup: unknown option $arg (usage: scripts/setup.sh [--test] [--bench])" >&2; exit 2 ;;
  esac
done
need=()
for pkg in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need[*]}"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.scorefs-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.scorefs-lock-hash
fi

npx tsc -p .
bash scripts/build-native.sh
