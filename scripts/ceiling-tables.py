#!/usr/bin/env python3
"""Markdown tables of scripts/bench-ceiling.sh's raw.tsv (run, group, subject, metric, value).

Each cell is the median over runs, with every run in brackets when there are several; a ratio is taken
within each run (both figures measured in the same minutes) and then its median is shown.
Usage: python3 scripts/ceiling-tables.py RESULTS/raw.tsv
"""
import csv
import sys
from collections import defaultdict

from stats import runs

# (group, subject, metric) -> {run: value}
data = defaultdict(dict)
with open(sys.argv[1]) as f:
    for row in csv.DictReader(f, delimiter="\t"):
        data[(row["group"], row["subject"], row["metric"])][row["run"]] = float(row["value"])


def cell(values, fmt="{:.0f}"):
    if not values:
        return "—"
    return runs([values[r] for r in sorted(values)], fmt)


def get(group, subject, metric):
    return data.get((group, subject, metric), {})


def ratio(group, subject, ref, metric="mbps", invert=False):
    a, b = get(group, subject, metric), get(group, ref, metric)
    runs = [r for r in a if r in b and a[r] and b[r]]
    return cell({r: (b[r] / a[r] if invert else a[r] / b[r]) for r in runs}, "{:.2f}")


def mb(values):
    return {r: v / 1e6 for r, v in values.items()}


def table(intro, columns, group, rows, needs, cells):
    """Prints a markdown table: one row per (subject, labels) of rows that has the metric `needs`."""
    print(f"\n{intro}\n")
    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|")
    for subject, labels in rows:
        if get(group, subject, needs):
            print("| " + " | ".join([*labels, *cells(subject)]) + " |")


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
    ("scorefs-warm-steady", "scorefs after remount, 3rd read, page cache dropped (steady state: the daemon's code compiled)"),
    ("rclone-cold", "rclone mount --vfs-cache-mode full, empty cache"),
    ("rclone-cold-again", "rclone, 2nd read in the same mount"),
    ("rclone-warm", "rclone after remount (its cache on disk, page cache dropped)"),
    ("httpfs2", "httpfs2, 1st read"),
    ("httpfs2-again", "httpfs2, 2nd read in the same mount"),
]
table(
    "Sequential read of the BAM, one reader (`dd bs=1M`); ratios are MB/s over the reference's MB/s in the same run.",
    ["reader", "MB/s", "÷ ceiling", "÷ curl", "÷ local (cold)", "÷ local (page-cached)", "origin MB fetched", "in page cache before"],
    "seq", [(k, [v]) for k, v in SEQ], "mbps",
    lambda s: [cell(get("seq", s, "mbps")), ratio("seq", s, "null-raw"), ratio("seq", s, "curl"), ratio("seq", s, "local"),
               ratio("seq", s, "local-cached"), cell(mb(get("seq", s, "origin_bytes"))),
               cell({r: 100 * v for r, v in get("seq", s, "resident_before").items()}, "{:.0f} %")],
)
warm_net = get("seq", "scorefs-warm", "stats_network_bytes")
if warm_net:
    print(f"\nscorefs after remount: networkBytes in its stats.json {cell(warm_net)}, origin bytes {cell(get('seq', 'scorefs-warm', 'origin_bytes'))} (both must be 0).")

table(
    "Daemon cost over each read that starts with the page cache dropped: CPU seconds per GiB read (utime+stime of all its threads, during the read, "
    "and until it went idle: read-ahead, block writes, MD5 checks) and peak RSS (VmHWM).",
    ["daemon", "CPU s/GiB during the read", "CPU s/GiB until idle", "peak RSS MiB"],
    "seq", [(k, [v]) for k, v in SEQ], "cpu_s_per_gib",
    lambda s: [cell(get("seq", s, "cpu_s_per_gib"), "{:.2f}"), cell(get("seq", s, "cpu_idle_s_per_gib"), "{:.2f}"), cell(get("seq", s, "hwm_mib"))],
)

md5_one, md5_lanes = get("seq", "md5-one-stream", "cpu_s_per_gib"), get("seq", "md5-16-lanes", "cpu_s_per_gib")
if md5_one:
    print(f"\nMD5 on this CPU, CPU s/GiB: one stream {cell(md5_one, '{:.2f}')}; 16 Score parts side by side "
          f"(md5-lanes.node, as the cache's checks hash them) {cell(md5_lanes, '{:.2f}')}.")

PAR = [
    ("null-raw", "null-fuse, fuse-native alone (**the ceiling**)"),
    ("local", "local files (ext4), page cache dropped"),
    ("curl", "16 curls from the origin at once"),
    ("scorefs-cold", "scorefs, empty cache"),
    ("scorefs-warm", "scorefs after remount, page cache dropped"),
]
par_bytes = max(get("par", "null-raw", "bytes").values(), default=0)
size = f"{par_bytes / 16 / 2**20:.0f} MiB" if par_bytes else "equal"


def par_cells(s):
    spread = " / ".join(cell(get("par", s, m)) for m in ("reader_min", "reader_median", "reader_max"))
    lat = " / ".join(cell(get("par", s, m), "{:.1f}") for m in ("p50_ms", "p99_ms", "max_ms")) if get("par", s, "p50_ms") else "—"
    return [cell(get("par", s, "agg_mbps")), ratio("par", s, "null-raw", "agg_mbps"), ratio("par", s, "curl", "agg_mbps"),
            ratio("par", s, "local", "agg_mbps"), spread, lat, cell(mb(get("par", s, "origin_bytes"))),
            cell(get("par", s, "cpu_s_per_gib"), "{:.2f}"), cell(get("par", s, "hwm_mib"))]


table(
    f"16 concurrent readers of 16 different {size} files (1 MiB reads; curl: its own buffer size). "
    "Aggregate = all bytes / wall time until the last reader ended.",
    ["readers of", "aggregate MB/s", "÷ ceiling", "÷ 16 curls", "÷ local", "per reader MB/s: min / median / max",
     "1 MiB read latency ms: p50 / p99 / max", "origin MB", "daemon CPU s/GiB", "peak RSS MiB"],
    "par", [(k, [v]) for k, v in PAR], "agg_mbps", par_cells,
)

REG = [
    ("local", "local file (page cache dropped)"),
    ("null-fuse", "**limit**: null-fuse answering from the local file"),
    ("scorefs", "scorefs, empty cache"),
    ("scorefs-remount", "scorefs after a remount (cached)"),
    ("httpfs2", "httpfs2"),
]
MODES = [("one", "one call, 50 regions"), ("each", "50 calls, one region each")]
table(
    "50 random 1 kb regions of the BAM, `samtools view -c`, cold; the time ratio is the local file's time over "
    "this one's (above 1 = faster than local).",
    ["reads through", "calls", "seconds", "÷ local (speed)", "origin KiB fetched", "records counted"],
    "regions", [(f"{k}-{mode}", [v, mode_label]) for mode, mode_label in MODES for k, v in REG], "seconds",
    lambda s: [cell(get("regions", s, "seconds"), "{:.2f}"), ratio("regions", s, "local-" + s.rsplit("-", 1)[1], "seconds", invert=True),
               cell({r: v / 1024 for r, v in get("regions", s, "origin_bytes").items()}), cell(get("regions", s, "records"))],
)
