#!/usr/bin/env bash
# Installs what scorefs needs on a Debian machine and builds it. Safe to run any number of times:
# system packages are installed only when missing, npm ci runs only when the lockfile changed.
# --test: also what only the tests need (scripts/test.sh passes it).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libfuse2 fuse samtools)
# mmdebstrap and systemd-container (systemd-nspawn): test/systemd-boot.test.ts boots a Debian system with them
# bsdutils (script): test/progress.test.ts runs the CLI on a pseudo-terminal
if [ "${1:-}" = --test ]; then packages+=(mmdebstrap systemd-container bsdutils); fi

need=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
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
