#!/usr/bin/env python3
"""Markdown tables of scripts/bench-ceiling.sh's raw.tsv (run, group, subject, metric, value).

Each cell is the median over runs, with every run in brackets when there are several; a ratio is taken
within each run (both figures measured in the same minutes) and then its median is shown.
Usage: python3 scripts/ceiling-tables.py RESULTS/raw.tsv
"""
import csv
import statistics
import sys
from collections import defaultdict

# (group, subject, metric) -> {run: value}
data = defaultdict(dict)
with open(sys.argv[1]) as f:
    for row in csv.DictReader(f, delimiter="\t"):
        data[(row["group"], row["subject"], row["metric"])][row["run"]] = float(row["value"])


def cell(values, fmt="{:.0f}"):
    if not values:
        return "—"
    vs = [values[r] for r in sorted(values)]
    text = fmt.format(statistics.median(vs))
    return text if len(vs) == 1 else f"{text} ({', '.join(fmt.format(v) for v in vs)})"


def get(group, subject, metric):
    return data.get((group, subject, metric), {})


def ratio(group, subject, ref, metric="mbps", invert=False):
    a, b = get(group, subject, metric), get(group, ref, metric)
    runs = [r for r in a if r in b and a[r] and b[r]]
    return cell({r: (b[r] / a[r] if invert else a[r] / b[r]) for r in runs}, "{:.2f}")


def mb(values):
    return {r: v / 1e6 for r, v in values.items()}


SEQ = [
    ("null-raw", "null-fuse, fuse-native alone: 1st read (**the ceiling**)"),
    ("null-raw-again", "null-fuse, fuse-native alone: 2nd read, same mount (page cache)"),
    ("null-scorefs", "null-fuse through scorefs's FuseMount + VfsFuseOps: 1st read"),
    ("null-scorefs-again", "null-fuse through scorefs's FuseMount + VfsFuseOps: 2nd read"),
    ("local", "local file (ext4), page cache dropped"),
    ("local-cached", "local file, page-cached"),
    ("curl", "curl from the origin (nginx, tmpfs), one connection"),
    ("scorefs-cold", "scorefs, empty cache"),
    ("scorefs-cold-again", "scorefs, 2nd read in the same mount"),
    ("scorefs-warm", "scorefs after remount (cache on disk, page cache dropped)"),
    ("scorefs-warm-again", "scorefs after remount, 2nd read"),
    ("rclone-cold", "rclone mount --vfs-cache-mode full, empty cache"),
    ("rclone-cold-again", "rclone, 2nd read in the same mount"),
    ("rclone-warm", "rclone after remount (its cache on disk, page cache dropped)"),
    ("httpfs2", "httpfs2, 1st read"),
    ("httpfs2-again", "httpfs2, 2nd read in the same mount"),
]
print("Sequential read of the BAM, one reader (`dd bs=1M`); ratios are MB/s over the reference's MB/s in the same run.\n")
print("| reader | MB/s | ÷ ceiling | ÷ curl | ÷ local (cold) | ÷ local (page-cached) | origin MB fetched | in page cache before |")
print("|---|---|---|---|---|---|---|---|")
for subject, label in SEQ:
    if not get("seq", subject, "mbps"):
        continue
    print(f"| {label} | {cell(get('seq', subject, 'mbps'))} | {ratio('seq', subject, 'null-raw')} | {ratio('seq', subject, 'curl')} "
          f"| {ratio('seq', subject, 'local')} | {ratio('seq', subject, 'local-cached')} | {cell(mb(get('seq', subject, 'origin_bytes')))} "
          f"| {cell({r: 100 * v for r, v in get('seq', subject, 'resident_before').items()}, '{:.0f} %')} |")
warm_net = get("seq", "scorefs-warm", "stats_network_bytes")
if warm_net:
    print(f"\nscorefs after remount: networkBytes in its stats.json {cell(warm_net)}, origin bytes {cell(get('seq', 'scorefs-warm', 'origin_bytes'))} (both must be 0).")

print("\nDaemon cost over the 1st read of a mount: CPU seconds per GiB read (utime+stime of all its threads, during the read, and until it went idle: read-ahead, block writes, MD5 checks) and peak RSS (VmHWM).\n")
print("| daemon | CPU s/GiB during the read | CPU s/GiB until idle | peak RSS MiB |")
print("|---|---|---|---|")
for subject, label in SEQ:
    if not get("seq", subject, "cpu_s_per_gib"):
        continue
    print(f"| {label} | {cell(get('seq', subject, 'cpu_s_per_gib'), '{:.2f}')} | {cell(get('seq', subject, 'cpu_idle_s_per_gib'), '{:.2f}')} "
          f"| {cell(get('seq', subject, 'hwm_mib'))} |")

PAR = [
    ("null-raw", "null-fuse, fuse-native alone (**the ceiling**)"),
    ("local", "local files (ext4), page cache dropped"),
    ("curl", "16 curls from the origin at once"),
    ("scorefs-cold", "scorefs, empty cache"),
    ("scorefs-warm", "scorefs after remount, page cache dropped"),
]
files = len(PAR) and max((v for v in get("par", "null-raw", "bytes").values()), default=0)
size = f"{files / 16 / 2**20:.0f} MiB" if files else "equal"
print(f"\n16 concurrent readers of 16 different {size} files (1 MiB reads; curl: its own buffer size). Aggregate = all bytes / wall time until the last reader ended.\n")
print("| readers of | aggregate MB/s | ÷ ceiling | ÷ 16 curls | ÷ local | per reader MB/s: min / median / max | 1 MiB read latency ms: p50 / p99 / max | origin MB | daemon CPU s/GiB | peak RSS MiB |")
print("|---|---|---|---|---|---|---|---|---|---|")
for subject, label in PAR:
    if not get("par", subject, "agg_mbps"):
        continue
    spread = " / ".join(cell(get("par", subject, m)) for m in ("reader_min", "reader_median", "reader_max"))
    lat = " / ".join(cell(get("par", subject, m), "{:.1f}") for m in ("p50_ms", "p99_ms", "max_ms")) if get("par", subject, "p50_ms") else "—"
    print(f"| {label} | {cell(get('par', subject, 'agg_mbps'))} | {ratio('par', subject, 'null-raw', 'agg_mbps')} | {ratio('par', subject, 'curl', 'agg_mbps')} "
          f"| {ratio('par', subject, 'local', 'agg_mbps')} | {spread} | {lat} | {cell(mb(get('par', subject, 'origin_bytes')))} "
          f"| {cell(get('par', subject, 'cpu_s_per_gib'), '{:.2f}')} | {cell(get('par', subject, 'hwm_mib'))} |")

REG = [
    ("local", "local file (page cache dropped)"),
    ("scorefs", "scorefs, empty cache"),
    ("httpfs2", "httpfs2"),
]
print("\n50 random 1 kb regions of the BAM, `samtools view -c`, cold; the time ratio is the local file's time over this one's (above 1 = faster than local).\n")
print("| reads through | calls | seconds | ÷ local (speed) | origin KiB fetched | records counted |")
print("|---|---|---|---|---|---|")
for mode, mode_label in (("one", "one call, 50 regions"), ("each", "50 calls, one region each")):
    for subject, label in REG:
        key = f"{subject}-{mode}"
        if not get("regions", key, "seconds"):
            continue
        print(f"| {label} | {mode_label} | {cell(get('regions', key, 'seconds'), '{:.2f}')} | {ratio('regions', key, f'local-{mode}', 'seconds', invert=True)} "
              f"| {cell({r: v / 1024 for r, v in get('regions', key, 'origin_bytes').items()})} | {cell(get('regions', key, 'records'))} |")
