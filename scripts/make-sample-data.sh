#!/usr/bin/env bash
# Builds the sample data set from the real example alignments Debian's samtools ships
# (/usr/share/doc/samtools/examples/ex1.fa, ex1.sam.gz) laid out as DIR/<studyId>/<analysisId>/<fileName>:
#   TEST-CA/AN-EX1-BAM/   ex1.bam + ex1.bam.bai           (BAM, BAI index)
#   TEST-CA/AN-EX1-CSI/   ex1.bam + ex1.bam.csi           (BAM, CSI index)
#   TEST-CA/AN-EX1-CRAM/  ex1.cram + ex1.cram.crai        (CRAM 3.0)
#   TEST-CA/AN-EX1-CRAM31/ ex1.cram + ex1.cram.crai       (CRAM 3.1)
#   TEST-CA/AN-EX1-REF/   ex1.fa + ex1.fa.fai             (the reference the CRAMs were made against)
# The CRAMs embed their reference and their @SQ lines carry only M5 (no UR naming a build directory), so
# samtools reads them where they are mounted with no REF_PATH and no download; headers have no @PG of
# this build, so every run makes the same bytes.
# Usage: scripts/make-sample-data.sh DIR   (idempotent: a complete DIR of this version is left as is;
# one made by an older version of this script is rebuilt)
set -euo pipefail
out=${1:?usage: make-sample-data.sh DIR}
version=2 # bump when the files change, so existing sample directories are rebuilt
ex=/usr/share/doc/samtools/examples
[ -f "$ex/ex1.fa" ] || { echo "samtools examples missing: apt-get install samtools" >&2; exit 1; }
[ "$(cat "$out/.complete" 2>/dev/null)" = "$version" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
s=TEST-CA
mkdir -p "$tmp/$s"/{AN-EX1-BAM,AN-EX1-CSI,AN-EX1-CRAM,AN-EX1-CRAM31,AN-EX1-REF}
cp "$ex/ex1.fa" "$tmp/$s/AN-EX1-REF/ex1.fa"
samtools faidx "$tmp/$s/AN-EX1-REF/ex1.fa"
ref="$tmp/$s/AN-EX1-REF/ex1.fa"
# ex1.sam.gz has no @SQ header: write one from the reference index (`view -t` would add a UR naming $tmp).
{
  printf '@HD\tVN:1.6\n'
  awk -v OFS='\t' '{ print "@SQ", "SN:" $1, "LN:" $2 }' "$ref.fai"
  gzip -dc "$ex/ex1.sam.gz"
} | samtools view --no-PG -b -o "$tmp/unsorted.bam" - 2>/dev/null
samtools sort --no-PG -o "$tmp/$s/AN-EX1-BAM/ex1.bam" "$tmp/unsorted.bam"
samtools index "$tmp/$s/AN-EX1-BAM/ex1.bam"
cp "$tmp/$s/AN-EX1-BAM/ex1.bam" "$tmp/$s/AN-EX1-CSI/ex1.bam"
samtools index -c "$tmp/$s/AN-EX1-CSI/ex1.bam"
for v in 3.0:AN-EX1-CRAM 3.1:AN-EX1-CRAM31; do
  cram="$tmp/$s/${v#*:}/ex1.cram"
  # (its stderr only on failure: for 3.1 htslib warns that the version is a draft)
  samtools view --no-PG -C -T "$ref" --output-fmt-option version="${v%%:*}" --output-fmt-option embed_ref=1 \
    -o "$tmp/with-ur.cram" "$tmp/$s/AN-EX1-BAM/ex1.bam" 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  # the CRAM writer adds UR:<path of -T>; drop it (M5 names the sequence)
  samtools reheader --no-PG -c "sed '/^@SQ/s/\tUR:[^\t]*//'" "$tmp/with-ur.cram" > "$cram"
  samtools index "$cram"
done
mkdir -p "$out"
rm -rf "$out/$s.old"
[ -d "$out/$s" ] && mv "$out/$s" "$out/$s.old"
cp -r "$tmp/$s" "$out/"
rm -rf "$out/$s.old"
echo "$version" > "$out/.complete"
echo "sample data in $out"
