#!/usr/bin/env python3
"""The one home of the benchmarks' statistics and table cells: medians, percentiles, and how a figure
over several runs is written. Imported by the other Python in scripts/ (its directory is on sys.path when
a script there runs; inline snippets add it) and run from bash:

  stats.py spread FMT V...     "median (min–max)" of the values, printf-style FMT (e.g. %.0f); one value: itself
  stats.py runs FMT V...       "median (v1, v2, ...)": every run in brackets; one value: itself
  stats.py median V...         the median, as a plain number
  stats.py table RAW.csv       markdown table of a long CSV (row, system, metric, run, value): one line per
                               row and system, each metric as "median (min–max)" over runs, in first-seen order
  stats.py ab RUNS NAME_A NAME_B COLUMN[:FMT]...
                               markdown table of an interleaved A/B (bench-lib.sh's `interleaved`): RUNS has
                               lines "a|b FIGURE..." (other lines are skipped), one row per revision, each
                               column "median (runs)"
"""
import csv
import math
import statistics
import sys
from collections import OrderedDict


def median(xs):
    return statistics.median([float(x) for x in xs])


def percentile(xs, p):
    """The p-th percentile by nearest rank (p50 of 1..100 is 50, p99 is 99, p100 the maximum)."""
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def auto(x):
    """A figure with as many decimals as its size warrants: 1234, 12.3, 1.23, 0.012."""
    if x == int(x):
        return str(int(x))
    return f"{x:.{0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2 if abs(x) >= 0.1 else 3}f}"


def _formatter(fmt):
    if fmt is None:
        return auto
    if "{" in fmt:
        return fmt.format
    return lambda x: fmt % x


def spread(xs, fmt=None):
    """ "median (min–max)", or the one value."""
    f, xs = _formatter(fmt), [float(x) for x in xs]
    m = f(statistics.median(xs))
    return m if len(xs) == 1 else f"{m} ({f(min(xs))}–{f(max(xs))})"


def runs(xs, fmt=None):
    """ "median (v1, v2, ...)" in run order, or the one value."""
    f, xs = _formatter(fmt), [float(x) for x in xs]
    m = f(statistics.median(xs))
    return m if len(xs) == 1 else f"{m} ({', '.join(f(x) for x in xs)})"


def long_table(path):
    """Markdown of a long CSV (row, system, metric, run, value); a metric with a value that is not a
    number (e.g. "failed after 180 s") lists its values as they are."""
    rows = OrderedDict()
    for r in csv.DictReader(open(path)):
        rows.setdefault(r["row"], OrderedDict()).setdefault(r["system"], OrderedDict()).setdefault(r["metric"], []).append(r["value"])

    def cell(values):
        try:
            return spread([float(v) for v in values])
        except ValueError:
            return ", ".join(values)

    lines = ["", "| row | system | figures (median (min–max) over runs) |", "|---|---|---|"]
    for row, systems in rows.items():
        for i, (system, metrics) in enumerate(systems.items()):
            figures = "; ".join(f"{metric} {cell(v)}" for metric, v in metrics.items())
            lines.append(f"| {row if i == 0 else ''} | {system} | {figures} |")
    return "\n".join(lines)


def ab_table(path, names, columns):
    """Markdown of an interleaved A/B's runs (see the docstring's `ab`)."""
    rows = [l.split() for l in open(path).read().splitlines()]
    cols = [c.split(":", 1) if ":" in c else (c, None) for c in columns]
    lines = ["| revision | " + " | ".join(f"{c}: median (runs)" for c, _ in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for side, name in zip(("a", "b"), names):
        mine = [r[1:] for r in rows if r and r[0] == side]
        lines.append(f"| {name} | " + " | ".join(runs([r[i] for r in mine], fmt) for i, (_, fmt) in enumerate(cols)) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "spread" and len(args) >= 2:
        print(spread(args[1:], args[0]))
    elif command == "runs" and len(args) >= 2:
        print(runs(args[1:], args[0]))
    elif command == "median" and args:
        print(auto(median(args)))
    elif command == "table" and len(args) == 1:
        print(long_table(args[0]))
    elif command == "ab" and len(args) >= 4:
        print(ab_table(args[0], args[1:3], args[3:]))
    else:
        sys.exit(__doc__)
