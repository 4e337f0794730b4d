#!/usr/bin/env bash
# Builds a catalog of N tiny objects for mount-time benchmarks, laid out as `scorefs serve --data DIR`
# expects: DIR/CATALOG/AN-CAT-<i>/R1.fastq.gz and R2.fastq.gz (N/2 analyses of a paired FASTQ each; the
# content is a few bytes naming the file, so every object has its own MD5). What is measured is the
# catalog's size, not its bytes. 100,000 objects take ~15 s and ~400 MB of inodes and blocks.
# Usage: scripts/make-catalog-data.sh DIR N   (N even; idempotent: DIR/.catalog-complete records N)
set -euo pipefail
[ $# -eq 2 ] && [[ $2 =~ ^[0-9]+$ ]] && [ $(( $2 % 2 )) -eq 0 ] && [ "$2" -gt 0 ] ||
  { echo "usage: make-catalog-data.sh DIR N   (N a positive even number of objects)" >&2; exit 2; }
out=$(realpath -m "$1") n=$2
if [ -f "$out/.catalog-complete" ] && [ "$(cat "$out/.catalog-complete")" = "objects=$n" ]; then
  echo "catalog of $n objects already complete in $out"
  exit 0
fi
mkdir -p "$out"
tmp=$(mktemp -d "$out/.catalog-tmp.XXXXXX")   # hidden: serve skips it; same filesystem: mv is a rename
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/CATALOG" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
os.mkdir(root)
for a in range(n // 2):
    d = os.path.join(root, f"AN-CAT-{a:06d}")
    os.mkdir(d)
    for r in ("R1", "R2"):
        with open(os.path.join(d, f"{r}.fastq.gz"), "w") as f:
            f.write(f"AN-CAT-{a:06d} {r}\n")
PY
rm -rf "$out/CATALOG" "$out/.catalog-complete"
mv "$tmp/CATALOG" "$out/CATALOG"
echo "objects=$n" > "$out/.catalog-complete"
echo "catalog of $n objects in $out/CATALOG"
