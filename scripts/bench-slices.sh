#!/usr/bin/env bash
# Slice-file benchmark: `cp` of a virtual region slice out of a cold mount — object bytes the
# server sent vs the slice's size (target ≤ 1.2), and time — next to htslib fetching the same region over
# HTTP into a local file (`samtools view -b|-C -o OUT -X URL IDXURL REGION`). BAM and CRAM (3.0).
# Usage: scripts/bench-slices.sh [DATA_DIR]   (default bench-data/1G; built if absent; needs root)
#   RUNS=N (default 3); tables give "median (min–max)".
# Every copied slice is checked: `samtools quickcheck`, and `samtools view -c SLICE REGION` must equal
# `samtools view -c ORIGINAL REGION` on the local original.
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
bench_init "${1:-}"
start_server

ref="$bench/AN-BENCH-REF/ref.fa"
regions=(chr1:2000001-3000000 chr1:1000001-11000000)
mb() { calc "round($1 / 1e6, 2)"; }

# slice_run FORMAT REGION LABEL: one cold-mount copy and one htslib fetch of REGION; appends one line
# "slice_B mount_B mount_s index_B http_B http_out_B http_s" to $work/FORMAT-REGION.runs.
slice_run() {
  local fmt=$1 region=$2 label=$3
  local an ext idx refopt=() outopt
  case $fmt in
    bam) an=AN-BENCH-BAM ext=bam idx=bai outopt=-b ;;
    cram) an=AN-BENCH-CRAM ext=cram idx=crai outopt=-C refopt=(--reference "$ref") ;;
  esac
  local original="$bench/$an/sample.$ext"
  local out="$work/$label"
  mkdir -p "$out"

  # Mount, empty cache and page cache. The slice's own bytes are timed and counted apart from its index;
  # the count includes read-ahead still arriving after cp returns.
  mount_fresh "$label-mnt"
  drop_caches
  local b0 b1 b2 t0 t1 slice="$mnt/$an/sample.$ext.slices/$region.$ext"
  b0=$(object_bytes); t0=$(now)
  cp "$slice" "$out/slice.$ext"
  t1=$(now); b1=$(settled_object_bytes)
  cp "$slice.$idx" "$out/slice.$ext.$idx"
  b2=$(settled_object_bytes)
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["cache"]; print(sys.argv[2], "daemon stats:", {k: c[k] for k in ("bytesRead","networkRequests","networkBytes","prefetchRequests","prefetchBytes")})' \
    "$mnt/.scorefs/stats.json" "$label" >&2
  unmount_at "$mnt"
  rm -rf "$work/$label-mnt"
  local mount_s mount_b=$((b1 - b0)) index_b=$((b2 - b1))
  mount_s=$(calc "$t1 - $t0")

  # The slice must be a valid file that answers REGION exactly like the original.
  samtools quickcheck "$out/slice.$ext" || { echo "$label: quickcheck failed" >&2; exit 1; }
  local want got
  want=$(samtools view -c "${refopt[@]}" "$original" "$region")
  got=$(samtools view -c "${refopt[@]}" "$out/slice.$ext" "$region")
  [ "$want" = "$got" ] || { echo "$label: slice has $got records in $region, original $want" >&2; exit 1; }

  # htslib over HTTP: the presigned URLs of the original and its index.
  local url idx_url http_s http_b
  url=$(external_url "$(object_id "$an" "sample.$ext")")
  idx_url=$(external_url "$(object_id "$an" "sample.$ext.$idx")")
  drop_caches
  b0=$(object_bytes); t0=$(now)
  (cd "$out" && samtools view "$outopt" "${refopt[@]}" -o "$out/http.$ext" -X "$url" "$idx_url" "$region")
  t1=$(now); b1=$(settled_object_bytes)
  http_s=$(calc "$t1 - $t0"); http_b=$((b1 - b0))
  echo "$(stat -c %s "$out/slice.$ext") $mount_b $mount_s $index_b $http_b $(stat -c %s "$out/http.$ext") $http_s" >> "$work/$fmt-$region.runs"
  echo "$label: $region $want records; $(tail -1 "$work/$fmt-$region.runs")" >&2
  rm -rf "$out"
}

# column FILE N: the Nth field of every run line of FILE.
column() { awk -v n="$2" '{print $n}' "$1"; }
# ratio_column FILE A B: field A / field B of every run line.
ratio_column() { awk -v a="$2" -v b="$3" '{print $a / $b}' "$1"; }
mb_column() { local x; for x in $(column "$1" "$2"); do mb "$x"; done; }

echo "data: $bench; $runs runs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for fmt in bam cram; do
  for region in "${regions[@]}"; do
    for i in $(seq "$runs"); do slice_run "$fmt" "$region" "$fmt-$i"; done
  done
done

echo
echo "| format | region | slice MB | mount: object MB fetched by cp | ratio fetched/slice (≤1.2) | cp s | index fetch B | htslib HTTP: object MB fetched | its output MB | its s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for fmt in bam cram; do
  for region in "${regions[@]}"; do
    f="$work/$fmt-$region.runs"
    echo "| $fmt | $region | $(FMT=%.2f summary $(mb_column "$f" 1)) | $(FMT=%.2f summary $(mb_column "$f" 2)) |" \
      "$(FMT=%.2f summary $(ratio_column "$f" 2 1)) | $(FMT=%.2f summary $(column "$f" 3)) | $(summary $(column "$f" 4)) |" \
      "$(FMT=%.2f summary $(mb_column "$f" 5)) | $(FMT=%.2f summary $(mb_column "$f" 6)) | $(FMT=%.2f summary $(column "$f" 7)) |"
  done
done
echo
echo "every copied slice passed samtools quickcheck and matched the original's record count for its region"
