#!/usr/bin/env python3
"""Seeded generator of a realistic keptn-dt-metrics input corpus (JSON), for the benchmarks.

Usage:
    python3 bench/corpus.py [--seed 1] [-n 100000] [--format list|object] [--name-pool N] [OUT]

OUT is a file path, or `-`/absent for stdout. Needs only Python 3 (no packages).

The output is written as it is generated (one metric per line, between `[` and `]`), so
5,000,000 metrics take a few MB of memory however large the file gets. The same seed, count,
format and pool give the same bytes.

`--format list` writes `[{...},\n{...}]` (the guide's form); `--format object` writes
`{"metrics":[...]}` with the same entries (no document-level dimensions, so both forms give the
same lines).

What a metric looks like (shares are of metrics, from the seeded generator):
- name: 2-4 words joined by `.`, `-`, ` `, `/` or `:`; words are English metric words, some
  capitalised, some with accents (`durée`, `größe`), some CJK (`延迟`); about 93 % of the keys
  `keptn.<name>` change under Dynatrace's classic normalisation (sections of `[A-Za-z0-9_-]`
  joined by `.`). By default every metric draws a fresh random name (names repeat only by
  chance, so a cache of normalised keys does not flatter a run); `--name-pool N` draws from N.
- dimensions: 3-5 per metric, keys in mixed case (`HTTP_Method`, `podName`: all need
  lower-casing), string values; about a quarter of the values need escaping (space, `,`, `=`,
  `"`), about 5 % carry a control character (tab, U+0007, newline) that Dynatrace replaces.
- value: about 85 % gauges (`"value"`), 12 % `"type":"count"`, 3 % summaries
  (`"min","max","sum","count"` with min <= sum/count <= max, count >= 1).
- no timestamps, units or descriptions (a cached corpus must not go stale).

On stderr it prints the count, bytes, average bytes per metric and the shares above as measured.
"""
import argparse
import json
import random
import re
import sys
import unicodedata

WORDS_ASCII = [
    "http", "server", "client", "request", "requests", "response", "duration", "latency",
    "time", "cart", "checkout", "payment", "catalogue", "orders", "db", "query", "queries",
    "cache", "hit", "miss", "ratio", "bytes", "sent", "received", "queue", "depth", "gc",
    "pause", "cpu", "usage", "memory", "heap", "threads", "active", "errors", "error_rate",
    "throughput", "p95", "p99", "avg", "max", "build", "deploy", "step", "test", "load",
    "users", "sessions", "api", "v2", "login", "search", "upstream", "retries", "timeouts",
    "Checkout", "API", "Cart", "DB", "Queue", "Latency", "Users", "Build", "JVM", "K8s",
]
WORDS_ACCENT = [
    "durée", "réponse", "requêtes", "größe", "überlauf", "zeitüberschreitung", "añadir",
    "café", "tâche", "échec", "mémoire", "débit", "año", "Fehlerquote", "naïve", "Größe",
]
WORDS_CJK = ["延迟", "请求", "応答時間", "사용자", "错误率", "吞吐量", "キュー", "처리량"]
SEPARATORS = [".", "-", " ", "/", ":"]
SEP_WEIGHTS = [23, 8, 29, 23, 17]

DIM_KEYS = [
    "Endpoint", "HTTP_Method", "Region", "podName", "Status_Code", "Customer.Tier",
    "K8s.Namespace", "UserAgent", "Test_Step", "DC", "Build-ID", "Node",
    "Host.Name", "Query", "Currency", "Cluster", "App.Version", "Tenant", "Zone", "Runner",
]
PLAIN_VALUES = {
    "Endpoint": ["/api/cart", "/api/orders", "/catalogue", "/login", "/api/v2/search"],
    "HTTP_Method": ["GET", "POST", "PUT", "DELETE"],
    "Region": ["eu-west-1", "us-east-2", "ap-south-1"],
    "Status_Code": ["200", "201", "404", "500", "503"],
    "Currency": ["EUR", "USD", "JPY"],
    "Zone": ["a", "b", "c"],
}
# Values that need escaping: space, comma, equals sign, quote (and combinations).
ESCAPED_VALUES = [
    "Mozilla/5.0 (X11, Linux x86_64)", "New York, NY", "a=b", 'user="alice"',
    "SELECT * FROM carts WHERE id = ?", "step 3 of 7", "Frankfurt am Main", 'say "hi"',
    "k=v, k2=v2", "checkout flow", "Zürich, CH", "東京 データセンター",
]
CONTROL_CHARS = ["\t", "\u0007", "\n", "\r", "\u001b"]


def normalise_metric_key(key):
    """Dynatrace's classic metric-key normalisation (as dynatrace-metric-utils 0.2.1 does it)."""
    key = key[:250]
    first, *rest = key.split(".")
    if not first.strip():
        return None
    first = re.sub(r"[^A-Za-z0-9_\-]+", "_", re.sub(r"^[^A-Za-z_]+", "_", first))
    rest = [re.sub(r"[^A-Za-z0-9_\-]+", "_", re.sub(r"^[^A-Za-z0-9_]+", "_", s)) for s in rest]
    return ".".join([first, *[s for s in rest if s]])


def needs_control_replacement(value):
    return any(unicodedata.category(c)[0] == "C" for c in value)


class Generator:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.serial = 0

    def word(self):
        x = self.r.random()
        if x < 0.70:
            return self.r.choice(WORDS_ASCII)
        if x < 0.90:
            return self.r.choice(WORDS_ACCENT)
        return self.r.choice(WORDS_CJK)

    def name(self):
        r = self.r
        n = r.randint(2, 4)
        parts = [self.word()]
        for _ in range(n - 1):
            parts.append(r.choices(SEPARATORS, SEP_WEIGHTS)[0])
            parts.append(self.word())
        return "".join(parts)

    def dim_value(self, key):
        r = self.r
        x = r.random()
        if x < 0.25:
            v = r.choice(ESCAPED_VALUES)
        elif key in PLAIN_VALUES:
            v = r.choice(PLAIN_VALUES[key])
        elif key == "podName":
            v = "carts-%x-%s" % (r.randrange(0x10000), "".join(r.choices("bcdfghjklmnpqrstvwxz2456789", k=5)))
        elif key in ("Build-ID", "App.Version"):
            v = "%d.%d.%d" % (r.randint(0, 3), r.randint(0, 20), r.randint(0, 99))
        else:
            v = "%s-%d" % (key.lower().replace(".", "-"), r.randint(1, 64))
        if r.random() < 0.05:
            i = r.randint(0, len(v))
            v = v[:i] + r.choice(CONTROL_CHARS) + v[i:]
        return v

    def value(self, entry):
        r = self.r
        x = r.random()
        if x < 0.85:
            if r.random() < 0.4:
                entry["value"] = r.randint(0, 100000)
            else:
                entry["value"] = round(r.lognormvariate(3, 2), 3) or 0.5
        elif x < 0.97:
            entry["type"] = "count"
            entry["value"] = r.randint(1, 20000)
        else:
            entry["type"] = "summary"
            count = r.randint(1, 5000)
            lo = r.randint(1, 5000)  # tenths
            if count == 1:
                entry["min"] = entry["max"] = entry["sum"] = lo / 10
            else:
                hi = lo + r.randint(1, 50000)
                entry["min"] = lo / 10
                entry["max"] = hi / 10
                # Strictly inside (min*count, max*count): no rounding puts the mean outside.
                entry["sum"] = r.randint(lo * count + 1, hi * count - 1) / 10
            entry["count"] = count

    def metric(self, name):
        r = self.r
        entry = {"name": name}
        self.value(entry)
        entry["dimensions"] = {k: self.dim_value(k) for k in r.sample(DIM_KEYS, r.randint(3, 5))}
        return entry


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-n", "--count", type=int, default=100_000)
    p.add_argument("--format", choices=["list", "object"], default="list")
    p.add_argument("--name-pool", type=int, default=0,
                   help="draw names from this many distinct names (0: a fresh name per metric)")
    p.add_argument("--prefix", default="keptn", help="prefix used to count renamed keys")
    p.add_argument("out", nargs="?", default="-")
    a = p.parse_args()

    g = Generator(a.seed)
    pool = [g.name() for _ in range(a.name_pool)]
    out = (sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8", newline="\n"))
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    written = 0
    renamed = escaped = controlled = dims = 0
    kinds = {"gauge": 0, "count": 0, "summary": 0}
    head, tail = ("[\n", "\n]\n") if a.format == "list" else ('{"metrics":[\n', "\n]}\n")
    out.write(head)
    written += len(head.encode())
    buf = []
    for i in range(a.count):
        name = g.r.choice(pool) if pool else g.name()
        m = g.metric(name)
        key = f"{a.prefix}.{name}" if a.prefix else name
        renamed += normalise_metric_key(key) != key
        kinds[m.get("type", "gauge")] += 1
        for v in m["dimensions"].values():
            dims += 1
            escaped += bool(re.search(r'[ ,="\\]', v))
            controlled += needs_control_replacement(v)
        s = dumps(m)
        buf.append(s if i == 0 else ",\n" + s)
        if len(buf) >= 4096:
            chunk = "".join(buf)
            out.write(chunk)
            written += len(chunk.encode())
            buf.clear()
    chunk = "".join(buf) + tail
    out.write(chunk)
    written += len(chunk.encode())
    out.flush()
    if out is not sys.stdout:
        out.close()

    n = max(a.count, 1)
    print(
        f"corpus: {a.count} metrics, {written} bytes, {written / n:.1f} bytes/metric; "
        f"keys renamed {100 * renamed / n:.1f} %; "
        f"gauge/count/summary {kinds['gauge']}/{kinds['count']}/{kinds['summary']}; "
        f"{dims} dimensions ({dims / n:.2f}/metric), all keys mixed case, "
        f"{100 * escaped / max(dims, 1):.1f} % of values escaped, "
        f"{100 * controlled / max(dims, 1):.1f} % with control characters",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
