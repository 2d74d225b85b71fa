#!/usr/bin/env python3
"""Python baseline for reading a JMeter CSV JTL: per-label and overall statistics as JSON.

Usage: bench/jtl_baseline.py FILE.jtl [--pandas] [--delimiter ,]

Reads the header row, finds `label`, `elapsed` and `success` by name (any column order, any
extra columns), and prints on stdout

  {"file": ..., "mode": "csv"|"pandas", "rows": N, "seconds": parse+aggregate time,
   "overall": STATS, "labels": {label: STATS, ...}}

with STATS = {count, failures, error_rate, min, max, sum, p50, p90, p95, p99} over `elapsed`
(ms). error_rate = failures / count; a row fails when `success` is not `true`. Percentiles
interpolate linearly between closest ranks (index p*(n-1) in the sorted values), as numpy,
pandas' default and k6 do. Every row counts, transaction-controller rows included.

Modes:
  (default)  the standard library `csv` module; elapsed values kept per label in array('q')
  --pandas   pandas.read_csv(usecols=[label, elapsed, success]) + groupby (pip install pandas)
"""
import argparse
import json
import math
import sys
import time
from array import array

QS = (("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99))


def percentile(s, p):
    n = len(s)
    if n == 0:
        return None
    i = p * (n - 1)
    lo, hi = math.floor(i), math.ceil(i)
    return s[lo] + (s[hi] - s[lo]) * (i - lo)


def stats(values, failures):
    s = sorted(values)
    out = {"count": len(s), "failures": failures,
           "error_rate": failures / len(s) if s else 0.0,
           "min": s[0] if s else None, "max": s[-1] if s else None, "sum": sum(s)}
    for name, p in QS:
        out[name] = percentile(s, p)
    return out


def with_csv(path, delimiter):
    import csv
    per_label = {}
    fails = {}
    rows = 0
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f, delimiter=delimiter)
        header = next(r)
        li, ei, si = header.index("label"), header.index("elapsed"), header.index("success")
        for row in r:
            label = row[li]
            vals = per_label.get(label)
            if vals is None:
                vals = per_label[label] = array("q")
                fails[label] = 0
            vals.append(int(row[ei]))
            if row[si] != "true":
                fails[label] += 1
            rows += 1
    labels = {label: stats(v, fails[label]) for label, v in sorted(per_label.items())}
    everything = array("q")
    for v in per_label.values():
        everything.extend(v)
    return rows, stats(everything, sum(fails.values())), labels


def with_pandas(path, delimiter):
    import pandas as pd
    df = pd.read_csv(path, sep=delimiter, usecols=["label", "elapsed", "success"],
                     dtype={"label": str, "elapsed": "int64", "success": str},
                     keep_default_na=False)
    failed = df["success"] != "true"
    df = df.assign(failed=failed)

    def block(g_elapsed, g_failed):
        n = int(len(g_elapsed))
        f = int(g_failed.sum())
        qs = g_elapsed.quantile([p for _, p in QS], interpolation="linear").tolist()
        out = {"count": n, "failures": f, "error_rate": f / n if n else 0.0,
               "min": int(g_elapsed.min()), "max": int(g_elapsed.max()), "sum": int(g_elapsed.sum())}
        for (name, _), q in zip(QS, qs):
            out[name] = q
        return out

    labels = {}
    for label, g in df.groupby("label", sort=True):
        labels[label] = block(g["elapsed"], g["failed"])
    return len(df), block(df["elapsed"], df["failed"]), labels


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--pandas", action="store_true", help="use pandas instead of the csv module")
    ap.add_argument("--delimiter", default=",", help="field delimiter (\\t for tab)")
    args = ap.parse_args()
    delimiter = "\t" if args.delimiter in ("\\t", "tab") else args.delimiter
    t0 = time.perf_counter()
    rows, overall, labels = (with_pandas if args.pandas else with_csv)(args.file, delimiter)
    seconds = time.perf_counter() - t0
    json.dump({"file": args.file, "mode": "pandas" if args.pandas else "csv", "rows": rows,
               "seconds": round(seconds, 3), "overall": overall, "labels": labels},
              sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
