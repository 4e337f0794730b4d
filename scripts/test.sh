#!/usr/bin/env bash
# The test command: installs what is needed (scripts/setup.sh --test), then runs every test with ava.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
npx ava "$@"
