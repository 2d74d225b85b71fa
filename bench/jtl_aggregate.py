#!/usr/bin/env python3
"""JMeter's Aggregate Report percentiles of a CSV JTL with its header row, computed here from
every sample (independently of keptn-dt-metrics), to check that what it sends is exact:
StatCalculator.getPercentPoint, the sample at 1-based rank Math.round(q * n) with q a Java
float (90/95/99 % as Float.parseFloat(p) / 100), the maximum for q >= 1.

Usage: bench/jtl_aggregate.py FILE.jtl     prints `label,count,p50,p90,p95,p99`, TOTAL last
"""
import csv
import math
import struct
import sys
from collections import defaultdict


def java_float(q):
    return struct.unpack("f", struct.pack("f", q))[0]


def percent_point(sorted_values, q):
    if q >= 1:
        return sorted_values[-1]
    target = math.floor(len(sorted_values) * java_float(q) + 0.5)
    return sorted_values[max(target, 1) - 1]


def main(path):
    labels = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            labels[row["label"]].append(int(row["elapsed"]))
    labels["TOTAL"] = [v for values in list(labels.values()) for v in values]
    for label, values in labels.items():
        values.sort()
        points = [percent_point(values, q) for q in (0.5, 0.9, 0.95, 0.99)]
        print(",".join([label, str(len(values))] + [str(p) for p in points]))


if __name__ == "__main__":
    main(sys.argv[1])
