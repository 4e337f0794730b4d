#!/usr/bin/env bash
# The main job on the embedded default: serve the sample data with `scorefs serve`, mount it with
# `scorefs mount`, read the mounted BAM and CRAM with samtools, then unmount and stop the server.
# Installs what it needs first (scripts/setup.sh); safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

source scripts/bench-lib.sh   # serve_up, and cleanup on exit: the mount, the server, the work dir
bench_workdir
data=.tmp/sample-data
mnt="$work/mnt"

bash scripts/make-sample-data.sh "$data" >/dev/null
serve_up --data "$data"
url=$base
echo "== scorefs serve is up at $url over $data"

mkdir -p "$mnt"
mounts+=("$mnt")
STORAGE_URL="$url" METADATA_URL="$url" ./bin/scorefs mount "$mnt" --cache-dir "$work/cache"
echo "== mounted at $mnt"
echo "\$ ls -R $mnt"
ls -R "$mnt"
bam="$mnt/AN-EX1-BAM/ex1.bam"
cram="$mnt/AN-EX1-CRAM/ex1.cram"
ref="$mnt/AN-EX1-REF/ex1.fa"
run() { echo "\$ $*"; "$@"; }
run samtools view -c "$bam"
run samtools idxstats "$bam"
run samtools view -c "$bam" seq2:100-200
echo "\$ samtools view $bam seq1:1000-1010 | cut -f1-9 | awk 'NR <= 3'"
samtools view "$bam" seq1:1000-1010 | cut -f1-9 | awk 'NR <= 3'  # awk reads it all: no SIGPIPE under pipefail
run samtools view -c "$cram"  # the sample CRAMs embed their reference: no -T needed
run samtools idxstats "$cram"
run samtools view -c -T "$ref" "$cram" seq1:1-500  # as with a CRAM that does not
echo "\$ cat $mnt/.scorefs/stats.json"
cat "$mnt/.scorefs/stats.json"; echo
./bin/scorefs unmount "$mnt"
echo "== unmounted; done"
