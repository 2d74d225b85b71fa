#!/usr/bin/env python3
"""Golden --dry-run outputs for tests/golden.rs: the payload as a reference binary printed it.

Writes tests/golden/*.json (inputs built from the conformance corpus in tests/conformance, plus a
seeded hostile corpus from bench/corpus.py) and, next to each, the reference binary's --dry-run
stdout as *.expected.txt. The test runs today's binary on the same inputs, in the same
environment, and requires byte-identical output: a speed-up must not change a byte that goes out.

Usage: bench/golden.py [REFERENCE_BINARY]   (default /work/bench/glibc-deaaf12, commit deaaf12)
Run it once when the inputs change; the expected files are committed.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "golden"
CONFORMANCE = ROOT / "tests" / "conformance"

# The environment of every run, also set by tests/golden.rs (keep the two the same).
ENV = {
    "DEFAULT_DIMENSIONS": "env=golden",
    "KEPTN_PROJECT": "sockshop",
    "KEPTN_STAGE": "staging",
    "KEPTN_SERVICE": "carts",
    "DT_METADATA_ENRICHMENT": "false",
}


def cases(name):
    return [case["input"] for case in json.loads((CONFORMANCE / f"{name}.json").read_text())]


def is_json_number(text):
    def refuse(constant):
        raise ValueError(constant)

    try:
        json.loads(text, parse_constant=refuse)
    except ValueError:
        return False
    return not text.strip().startswith(('"', "[", "{", "n", "t", "f"))


def conformance_document():
    """Every conformance input where it goes in a metric: names, dimension keys and values, and
    number literals (written as they are, so the binary parses the literal itself)."""
    entries = []
    for i, key in enumerate(cases("metric_keys")):
        kind = ["gauge", "count"][i % 2]
        entries.append(json.dumps({"name": key, "type": kind, "value": i}, ensure_ascii=False))
    for i, key in enumerate(cases("dimension_keys")):
        entries.append(json.dumps(
            {"name": "golden.dimension_key", "value": i, "dimensions": {key: "v", "plain": "p"}},
            ensure_ascii=False))
    for i, value in enumerate(cases("dimension_values")):
        entries.append(json.dumps(
            {"name": "golden.dimension_value", "value": i, "dimensions": {"k": value}},
            ensure_ascii=False))
    for literal in cases("numbers"):
        if is_json_number(literal):
            entries.append('{"name": "golden.number", "value": %s}' % literal.strip())
            entries.append('{"name": "golden.summary", "type": "summary", "min": %s, "max": %s, '
                           '"sum": %s, "count": 3}' % ((literal.strip(),) * 3))
    entries.append(json.dumps({"name": "golden.meta", "value": 1.5, "unit": "MilliSecond",
                               "description": "a, \"quoted\" description",
                               "display_name": "Golden meta"}))
    entries.append(json.dumps({"name": "golden.timestamped", "value": 2,
                               "timestamp": "2026-11-26T10:00:00Z"}))
    entries.append(json.dumps({"name": "golden.epoch", "value": 3, "timestamp": 1795000000000}))
    body = ",\n    ".join(entries)
    return ('{\n  "dimensions": {"Team": "Perf", "dt.entity.host": "HOST-1"},\n'
            f'  "metrics": [\n    {body}\n  ]\n}}\n')


def main():
    reference = sys.argv[1] if len(sys.argv) > 1 else "/work/bench/glibc-deaaf12"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "conformance.json").write_text(conformance_document(), encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), "--seed", "18", "-n",
                    "2500", str(OUT / "hostile.json")], check=True, stdout=subprocess.DEVNULL)
    for name in ["conformance", "hostile"]:
        run = subprocess.run([reference, "--dry-run", "--input", f"{name}.json"], cwd=OUT,
                             env={"PATH": os.environ.get("PATH", "/usr/bin"), **ENV},
                             capture_output=True, check=False)
        if run.returncode not in (0, 3):
            sys.exit(f"{reference} exited {run.returncode}: {run.stderr.decode()}")
        (OUT / f"{name}.expected.txt").write_bytes(run.stdout)
        lines = run.stdout.count(b"\n")
        print(f"{name}: {lines} lines, exit {run.returncode}")


if __name__ == "__main__":
    main()
