#!/usr/bin/env bash
# Builds a larger, deterministic synthetic data set for benchmarks and slice tests, laid out as
# DIR/BENCH/<analysisId>/<fileName> (what `scorefs serve --data DIR` expects):
#   AN-BENCH-REF/    ref.fa + ref.fa.fai              (random ACGT contigs chr1..chr6, ~30x coverage)
#   AN-BENCH-BAM/    sample.bam + sample.bam.bai      (100-150 bp reads, coordinate-sorted, unmapped last)
#   AN-BENCH-CSI/    sample.bam + sample.bam.csi      (the same BAM, hardlinked, CSI index)
#   AN-BENCH-CRAM/   sample.cram + sample.cram.crai   (CRAM 3.0 against ref.fa)
#   AN-BENCH-CRAM31/ sample.cram + sample.cram.crai   (CRAM 3.1 against ref.fa)
# Usage: scripts/make-bench-data.sh DIR SIZE [--long-reads]
#   SIZE: approximate BAM size, e.g. 5M, 200M, 1G (K/M/G are powers of 1024; a bare number is bytes).
#   --long-reads: up to 1% of reads span 5-50 kb on the reference (CIGAR xM yN zM), so a region has
#   reads that start far before it.
# Reads carry MD/NM/RG tags in htslib's order, so `samtools view` of BAM and CRAM print the same text.
# The same arguments and samtools version give byte-identical files (seeded generator, --no-PG, no
# paths in headers, single-threaded CRAM encoding). Idempotent: DIR/.bench-complete records the
# arguments and the generator's checksum; a matching set exits at once. Files are built in a hidden
# temp dir inside DIR and moved into place at the end; takes ~3 min for 1G on 2 cores.
set -euo pipefail

usage() { echo "usage: make-bench-data.sh DIR SIZE [--long-reads]" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
out=$(realpath -m "$1") size=$2 long=0
if [ $# -eq 3 ]; then [ "$3" = --long-reads ] && long=1 || usage; fi

case $size in
  *[kK]) bytes=$(( ${size%?} * 1024 )) ;;
  *[mM]) bytes=$(( ${size%?} * 1024 * 1024 )) ;;
  *[gG]) bytes=$(( ${size%?} * 1024 * 1024 * 1024 )) ;;
  *[!0-9]*|'') usage ;;
  *) bytes=$size ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
gen_flags=()
[ "$long" = 1 ] && gen_flags+=(--long-reads)
seed=20240601
# The generator's own checksum is part of the stamp: editing it invalidates existing sets.
stamp="bytes=$bytes long-reads=$long seed=$seed $(samtools --version | head -1)\
 generator=$(cat "$here/simulate-reads.py" "$0" | md5sum | cut -c1-12)"
marker=$out/.bench-complete
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$stamp" ] && [ -d "$out/BENCH" ]; then
  echo "bench data already complete in $out/BENCH ($size${3:+ $3})"
  exit 0
fi

mkdir -p "$out"
tmp=$(mktemp -d "$out/.bench-tmp.XXXXXX")   # hidden: serve skips it; same filesystem: mv is a rename
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/BENCH"/AN-BENCH-{REF,BAM,CSI,CRAM,CRAM31} "$tmp/refcache"
cd "$tmp/BENCH"   # relative paths only from here on, so nothing path-dependent lands in the files

step() {  # LABEL COMMAND...: run it, print how long it took
  local label=$1 t0=$EPOCHREALTIME; shift
  "$@"
  awk -v l="$label" -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "  %-28s %7.1fs\n", l, b - a }' >&2
}

gen_bam() {
  python3 "$here/simulate-reads.py" --target-bytes "$bytes" --seed "$seed" --ref AN-BENCH-REF/ref.fa \
    --ref-cache "$tmp/refcache" "${gen_flags[@]}" \
    | samtools view -b -@2 --no-PG -o AN-BENCH-BAM/sample.bam -
}
to_cram() {  # VERSION DIR
  # The reference comes from REF_PATH by @SQ M5, not -T: with -T htslib writes the absolute (temp)
  # path into @SQ UR, and the output then differs from run to run.
  REF_PATH="$tmp/refcache/%s" REF_CACHE="$tmp/refcache/%s" \
    samtools view -C --no-PG --output-fmt-option "version=$1" -o "$2/sample.cram" AN-BENCH-BAM/sample.bam \
    2> >(grep -v 'draft\|technology demonstration' >&2)
  samtools index "$2/sample.cram"
}
bam_indexes() {
  samtools index AN-BENCH-BAM/sample.bam
  ln AN-BENCH-BAM/sample.bam AN-BENCH-CSI/sample.bam
  samtools index -c AN-BENCH-CSI/sample.bam
}
in_parallel() {  # LABEL:FUNCTION...: run each as a timed background job, fail if any fails
  local pids=() job pid
  for job in "$@"; do step "${job%%:*}" ${job#*:} & pids+=($!); done  # unquoted: FUNCTION ARGS
  for pid in "${pids[@]}"; do wait "$pid"; done
}

t_start=$SECONDS
step "simulate reads -> BAM" gen_bam
step "faidx reference" samtools faidx AN-BENCH-REF/ref.fa
in_parallel "BAI + CSI index:bam_indexes" "CRAM 3.0 + crai:to_cram 3.0 AN-BENCH-CRAM" \
  "CRAM 3.1 + crai:to_cram 3.1 AN-BENCH-CRAM31"
samtools quickcheck AN-BENCH-BAM/sample.bam AN-BENCH-CRAM/sample.cram AN-BENCH-CRAM31/sample.cram

cd /
rm -f "$marker"
rm -rf "$out/BENCH"
mv "$tmp/BENCH" "$out/BENCH"
echo "$stamp" > "$tmp/marker" && mv "$tmp/marker" "$marker"

echo "bench data ($size${3:+ $3}) in $out/BENCH, built in $(( SECONDS - t_start ))s:"
(cd "$out/BENCH" && find . -type f | sort | xargs ls -l | awk '{printf "  %12d  %s\n", $5, $9}')
echo "contigs (name, length, reads; '*' = unmapped reads):"
samtools idxstats "$out/BENCH/AN-BENCH-BAM/sample.bam" | awk '{printf "  %-6s %10d %10d\n", $1, $2, $3 + $4}'
