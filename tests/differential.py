"""Runs the official dynatrace-metric-utils (PyPI) normalisation on the cases the Rust test
sends on stdin, and prints the results as JSON. Used by tests/differential.rs."""
import json
import sys

from dynatrace.metric.utils._metric_values import _format_number
from dynatrace.metric.utils._normalize import Normalize

n = Normalize()
cases = json.load(sys.stdin)
json.dump(
    {
        "metric_keys": [n.normalize_metric_key(s) for s in cases["metric_keys"]],
        "dimension_keys": [n.normalize_dimension_key(s) or "" for s in cases["dimension_keys"]],
        "dimension_values": [
            n.escape_dimension_value(n.normalize_dimension_value(s)) for s in cases["dimension_values"]
        ],
        "numbers": [_format_number(x) for x in cases["numbers"]],
    },
    sys.stdout,
)
