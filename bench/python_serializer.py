#!/usr/bin/env python3
"""Dynatrace's official Python serializer on a keptn-dt-metrics JSON corpus: the anchor
"Dynatrace's official Python serializer" of the benchmarks.

Usage:
    python3 bench/python_serializer.py CORPUS.json [--prefix keptn] > lines.txt
    (CORPUS `-` reads stdin)

Needs `pip install dynatrace-metric-utils==0.2.1`.

Reads a corpus as bench/corpus.py writes it (a JSON list of metrics, or `{"metrics": [...]}`,
optionally with document `dimensions`) and serializes every metric with the library's
`DynatraceMetricsFactory` (gauge, delta counter, summary) and `DynatraceMetricsSerializer`,
prefix `keptn`, writing one line per metric to stdout (`MetricError`s are counted and reported,
not written). Dimensions are the ones keptn-dt-metrics adds, from the same environment, in the
same precedence:
- default dimensions from `DEFAULT_DIMENSIONS` (`k=v,k2=v2`): the serializer's
  `default_dimensions`, lowest precedence;
- the document's, then the metric's own dimensions: the metric's `dimensions`;
- the Keptn context (`ci_platform=keptn`, `KEPTN_PROJECT`, `KEPTN_STAGE`, `KEPTN_SERVICE`,
  `KEPTN_CONTEXT`, `KEPTN_EVENT_TYPE`, `LABELS_<KEY>`): highest. The library has one way to add
  top-precedence dimensions, normalised once: the OneAgent metadata file it reads through
  `dt_metadata_e617c525669e072eebe3d0f08212e8f2.properties` in the working directory. This script
  writes those two files into a temporary directory and builds the serializer there, so the
  Keptn dimensions go through the library's own path (no private API is touched).
So for this corpus the lines are the same as `keptn-dt-metrics --dry-run` prints, up to number
spelling at the extremes (the corpus has none) and metric keys that normalise to nothing.

On stderr: the metrics read, the time to parse the JSON (json.load, the whole document), the time
to serialize and write the lines and the rate (lines/s) of both, e.g.
    python-serializer: 100000 lines, 0 refused; parse 0.52 s; serialize 2.61 s (38314 lines/s); total 3.13 s (31949 lines/s)
"""
import argparse
import json
import os
import sys
import tempfile
import time

from dynatrace.metric.utils import DynatraceMetricsFactory, DynatraceMetricsSerializer, MetricError

METADATA_INDIRECTION = "dt_metadata_e617c525669e072eebe3d0f08212e8f2.properties"


def keptn_dimensions(env):
    dims = {"ci_platform": "keptn"}
    for var, key in [("KEPTN_PROJECT", "keptn_project"), ("KEPTN_STAGE", "keptn_stage"),
                     ("KEPTN_SERVICE", "keptn_service"), ("KEPTN_CONTEXT", "keptn_context"),
                     ("KEPTN_EVENT_TYPE", "keptn_event_type")]:
        if env.get(var):
            dims[key] = env[var]
    for var in sorted(env):
        if var.startswith("LABELS_") and env[var]:
            dims[var[len("LABELS_"):].lower()] = env[var]
    return dims


def default_dimensions(env):
    dims = {}
    for pair in filter(None, env.get("DEFAULT_DIMENSIONS", "").split(",")):
        k, _, v = pair.partition("=")
        dims[k.strip()] = v.strip()
    return dims


def make_serializer(prefix, defaults, static):
    """A serializer whose static (top-precedence) dimensions are `static`, through the library's
    metadata-file path."""
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        props = os.path.join(d, "keptn.properties")
        with open(props, "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in static.items())
        with open(os.path.join(d, METADATA_INDIRECTION), "w") as f:
            f.write(props)
        os.chdir(d)
        try:
            return DynatraceMetricsSerializer(
                metric_key_prefix=prefix, default_dimensions=defaults,
                enrich_with_dynatrace_metadata=True)
        finally:
            os.chdir(cwd)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("corpus")
    p.add_argument("--prefix", default=os.environ.get("METRIC_PREFIX", "keptn"))
    a = p.parse_args()

    serializer = make_serializer(a.prefix, default_dimensions(os.environ), keptn_dimensions(os.environ))
    factory = DynatraceMetricsFactory()

    t0 = time.perf_counter()
    if a.corpus == "-":
        doc = json.load(sys.stdin)
    else:
        with open(a.corpus, encoding="utf-8") as f:
            doc = json.load(f)
    if isinstance(doc, dict):
        metrics, doc_dims = doc.get("metrics", []), doc.get("dimensions") or {}
    else:
        metrics, doc_dims = doc, {}
    t1 = time.perf_counter()

    out = sys.stdout
    lines = refused = 0
    buf = []
    for m in metrics:
        dims = {**doc_dims, **m["dimensions"]} if doc_dims else m.get("dimensions")
        kind = m.get("type") or ("summary" if "min" in m else "gauge")
        try:
            if kind == "gauge":
                metric = factory.create_float_gauge(m["name"], m["value"], dims)
            elif kind == "count":
                metric = factory.create_float_counter_delta(m["name"], m["value"], dims)
            else:
                metric = factory.create_float_summary(
                    m["name"], m["min"], m["max"], m["sum"], m["count"], dims)
            buf.append(serializer.serialize(metric))
            lines += 1
        except MetricError:
            refused += 1
        if len(buf) >= 1000:
            buf.append("")
            out.write("\n".join(buf))
            buf.clear()
    if buf:
        buf.append("")
        out.write("\n".join(buf))
    out.flush()
    t2 = time.perf_counter()

    print(
        f"python-serializer: {lines} lines, {refused} refused; parse {t1 - t0:.2f} s; "
        f"serialize {t2 - t1:.2f} s ({lines / max(t2 - t1, 1e-9):.0f} lines/s); "
        f"total {t2 - t0:.2f} s ({lines / max(t2 - t0, 1e-9):.0f} lines/s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
