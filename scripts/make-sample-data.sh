#!/usr/bin/env bash
# Builds the sample data set from the real example alignments Debian's samtools ships
# (/usr/share/doc/samtools/examples/ex1.fa, ex1.sam.gz) laid out as DIR/<studyId>/<analysisId>/<fileName>:
#   TEST-CA/AN-EX1-BAM/   ex1.bam + ex1.bam.bai           (BAM, BAI index)
#   TEST-CA/AN-EX1-CSI/   ex1.bam + ex1.bam.csi           (BAM, CSI index)
#   TEST-CA/AN-EX1-CRAM/  ex1.cram + ex1.cram.crai        (CRAM 3.0)
#   TEST-CA/AN-EX1-CRAM31/ ex1.cram + ex1.cram.crai       (CRAM 3.1)
#   TEST-CA/AN-EX1-REF/   ex1.fa + ex1.fa.fai             (the reference, needed to decode the CRAMs)
# Usage: scripts/make-sample-data.sh DIR   (idempotent: an existing complete DIR is left as is)
set -euo pipefail
out=${1:?usage: make-sample-data.sh DIR}
ex=/usr/share/doc/samtools/examples
[ -f "$ex/ex1.fa" ] || { echo "samtools examples missing: apt-get install samtools" >&2; exit 1; }
[ -f "$out/.complete" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
s=TEST-CA
mkdir -p "$tmp/$s"/{AN-EX1-BAM,AN-EX1-CSI,AN-EX1-CRAM,AN-EX1-CRAM31,AN-EX1-REF}
cp "$ex/ex1.fa" "$tmp/$s/AN-EX1-REF/ex1.fa"
samtools faidx "$tmp/$s/AN-EX1-REF/ex1.fa"
ref="$tmp/$s/AN-EX1-REF/ex1.fa"
# ex1.sam.gz has no @SQ header: take it from the reference index.
samtools view -b -t "$ref.fai" -o "$tmp/unsorted.bam" "$ex/ex1.sam.gz" 2>/dev/null
samtools sort -o "$tmp/$s/AN-EX1-BAM/ex1.bam" "$tmp/unsorted.bam"
samtools index "$tmp/$s/AN-EX1-BAM/ex1.bam"
cp "$tmp/$s/AN-EX1-BAM/ex1.bam" "$tmp/$s/AN-EX1-CSI/ex1.bam"
samtools index -c "$tmp/$s/AN-EX1-CSI/ex1.bam"
samtools view -C -T "$ref" --output-fmt-option version=3.0 -o "$tmp/$s/AN-EX1-CRAM/ex1.cram" "$tmp/$s/AN-EX1-BAM/ex1.bam"
samtools index "$tmp/$s/AN-EX1-CRAM/ex1.cram"
samtools view -C -T "$ref" --output-fmt-option version=3.1 -o "$tmp/$s/AN-EX1-CRAM31/ex1.cram" "$tmp/$s/AN-EX1-BAM/ex1.bam"
samtools index "$tmp/$s/AN-EX1-CRAM31/ex1.cram"
mkdir -p "$out"
cp -r "$tmp/$s" "$out/"
touch "$out/.complete"
echo "sample data in $out"
