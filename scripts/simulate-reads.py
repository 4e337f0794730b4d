#!/usr/bin/env python3
"""Deterministic synthetic genome + coordinate-sorted reads for benchmarks (used by make-bench-data.sh).

Writes the reference FASTA to --ref and SAM text (header + reads, already in coordinate order,
unmapped reads last) to stdout. The same arguments always produce the same bytes: one seeded
random.Random drives everything, and nothing depends on time, paths or hash ordering.
"""
import argparse
import hashlib
import os
import random
import sys

# Calibrated on samtools 1.16 (`samtools view -b`, default level): compressed BAM bytes per read.
BAM_BYTES_PER_READ = 112
COVERAGE = 30
MIN_LEN, MAX_LEN = 100, 150
MEAN_LEN = (MIN_LEN + MAX_LEN) / 2
# Contig share of the genome: varied lengths, chr1 largest, one small contig at the end.
CONTIG_SHARES = (0.31, 0.24, 0.19, 0.13, 0.09, 0.04)
UNMAPPED_SHARE = 0.005
LONG_READ_SHARE = 0.01
LONG_SPAN = (5_000, 50_000)
FASTA_WIDTH = 60
MARGIN = 200  # no read starts this close to a contig end (room for deletions and clips)
QUAL_POOL = 1 << 24  # qualities are slices of one long random string: no cheap LZ matches, like real data
SUBSTITUTE = {"A": "C", "C": "G", "G": "T", "T": "A"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--target-bytes", type=int, required=True, help="approximate BAM size to aim for")
    p.add_argument("--ref", required=True, help="where to write the reference FASTA")
    p.add_argument("--ref-cache", help="also write each contig as DIR/<md5> (an htslib REF_PATH)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--long-reads", action="store_true", help="1%% of reads span 5-50 kb (xM yN zM)")
    return p.parse_args()


def contig_lengths(genome_length):
    return [max(10_000, int(genome_length * s)) for s in CONTIG_SHARES]


def make_reference(rnd, lengths, path, cache_dir):
    acgt = bytes(b"ACGT"[i % 4] for i in range(256))
    contigs = []
    with open(path, "wb") as out:
        for i, length in enumerate(lengths, 1):
            seq = rnd.randbytes(length).translate(acgt)
            out.write(b">chr%d\n" % i)
            out.write(b"\n".join(seq[j:j + FASTA_WIDTH] for j in range(0, length, FASTA_WIDTH)))
            out.write(b"\n")
            md5 = hashlib.md5(seq).hexdigest()
            if cache_dir:
                with open(os.path.join(cache_dir, md5), "wb") as cached:
                    cached.write(seq)
            contigs.append((f"chr{i}", seq.decode("ascii"), md5))
    return contigs


def make_quality_pool(rnd):
    """Phred 2..41 skewed towards high values, like an unbinned Illumina run."""
    table = bytes(33 + 41 - int(39 * (i / 256) ** 2.5) for i in range(256))
    return rnd.randbytes(QUAL_POOL).translate(table).decode("ascii")


def write_header(out, contigs, args):
    lines = ["@HD\tVN:1.6\tSO:coordinate"]
    lines += [f"@SQ\tSN:{name}\tLN:{len(seq)}\tM5:{md5}" for name, seq, md5 in contigs]
    lines.append("@RG\tID:bench\tSM:bench\tPL:ILLUMINA")
    lines.append(f"@CO\tsynthetic benchmark data: seed={args.seed} target-bytes={args.target_bytes}"
                 f" long-reads={int(args.long_reads)}")
    out.write("\n".join(lines) + "\n")


def write_mapped(out, rnd, name, ref, n_reads, qpool, noise, long_reads, next_id):
    """Emit n_reads alignments on one contig in ascending position order; returns the next read id."""
    span = len(ref) - MARGIN
    mean_gap = span / n_reads
    max_gap = int(2 * mean_gap)
    rand, randint, getrandbits = rnd.random, rnd.randrange, rnd.getrandbits
    mapqs = (60,) * 18 + (0, 1, 3, 20, 37, 60)
    pos = 0
    buf = []
    rid = next_id
    for _ in range(n_reads):
        pos += randint(max_gap + 1) if max_gap else 0
        if pos >= span:
            break
        bits = getrandbits(56)
        length = MIN_LEN + bits % (MAX_LEN - MIN_LEN + 1)
        q = (bits >> 32) % (QUAL_POOL - MAX_LEN)
        qual = qpool[q:q + length]
        flag = 16 if bits & (1 << 18) else 0
        mapq = mapqs[(bits >> 19) % 24]
        k = 10 + ((bits >> 24) & 255) % (length - 30)  # where a variant sits inside the read
        r = rand()
        p = pos
        if long_reads and r < LONG_READ_SHARE and pos + LONG_SPAN[1] < span:
            total = LONG_SPAN[0] + int(r / LONG_READ_SHARE * (LONG_SPAN[1] - LONG_SPAN[0]))
            tail = length - k
            cigar = f"{k}M{total - length}N{tail}M"
            seq = ref[p:p + k] + ref[p + total - tail:p + total]
            nm, md = 0, length
        elif r < 0.70:
            cigar, seq, nm, md = f"{length}M", ref[p:p + length], 0, length
        elif r < 0.88:
            cigar, nm, md = f"{length}M", 1, f"{k}{ref[p + k]}{length - k - 1}"
            seq = ref[p:p + k] + SUBSTITUTE[ref[p + k]] + ref[p + k + 1:p + length]
        elif r < 0.93:
            ins = 1 + bits % 3
            cigar, nm, md = f"{k}M{ins}I{length - k - ins}M", ins, length - ins
            seq = ref[p:p + k] + noise[bits % 997:bits % 997 + ins] + ref[p + k:p + length - ins]
        elif r < 0.97:
            dele = 1 + bits % 3
            cigar, nm, md = f"{k}M{dele}D{length - k}M", dele, f"{k}^{ref[p + k:p + k + dele]}{length - k}"
            seq = ref[p:p + k] + ref[p + k + dele:p + length + dele]
        else:
            clip = 5 + bits % 16
            cigar, nm, md = f"{clip}S{length - clip}M", 0, length - clip
            seq = noise[bits % 997:bits % 997 + clip] + ref[p:p + length - clip]
        buf.append(f"r{rid}\t{flag}\t{name}\t{p + 1}\t{mapq}\t{cigar}\t*\t0\t0\t{seq}\t{qual}"
                   f"\tMD:Z:{md}\tNM:i:{nm}\tRG:Z:bench\n")  # htslib order: CRAM decodes alike
        rid += 1
        if len(buf) >= 20_000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    return rid


def write_unmapped(out, rnd, n_reads, qpool, noise, next_id):
    buf = []
    for rid in range(next_id, next_id + n_reads):
        bits = rnd.getrandbits(48)
        length = MIN_LEN + bits % (MAX_LEN - MIN_LEN + 1)
        start = (bits >> 8) % (len(noise) - MAX_LEN)
        q = (bits >> 24) % (QUAL_POOL - MAX_LEN)
        buf.append(f"r{rid}\t4\t*\t0\t0\t*\t*\t0\t0\t{noise[start:start + length]}"
                   f"\t{qpool[q:q + length]}\tRG:Z:bench\n")
    out.write("".join(buf))


def main():
    args = parse_args()
    rnd = random.Random(args.seed)
    n_reads = max(1000, args.target_bytes // BAM_BYTES_PER_READ)
    n_unmapped = int(n_reads * UNMAPPED_SHARE)
    n_mapped = n_reads - n_unmapped
    genome_length = int(n_mapped * MEAN_LEN / COVERAGE)
    contigs = make_reference(rnd, contig_lengths(genome_length), args.ref, args.ref_cache)
    qpool = make_quality_pool(rnd)
    noise = rnd.randbytes(1 << 16).translate(bytes(b"ACGT"[i % 4] for i in range(256))).decode("ascii")
    total = sum(len(seq) for _, seq, _ in contigs)
    out = sys.stdout
    write_header(out, contigs, args)
    rid = 1
    for name, seq, _ in contigs:
        rid = write_mapped(out, rnd, name, seq, round(n_mapped * len(seq) / total), qpool, noise,
                           args.long_reads, rid)
    write_unmapped(out, rnd, n_unmapped, qpool, noise, rid)
    out.flush()


if __name__ == "__main__":
    main()
