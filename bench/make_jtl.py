#!/usr/bin/env python3
"""Writes a large, seeded JMeter 5.x-format CSV JTL for benchmarks (never commit its output).

Usage: bench/make_jtl.py OUT.jtl [ROWS] [--seed N] [--split K]   ROWS defaults to 1,000,000

--split K spreads each label over K labels (`GET / #0`, `GET / #1`, ...): with K = 3 none of
the 30 has more than 100,000 of 1,000,000 rows, so every percentile is exact.

Columns are JMeter 5.x's defaults (header row included):
  timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,
  failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect

Rows are about 100-115 bytes: 10 labels (two hold a comma and are quoted, as JMeter quotes
them), 50 threads, lognormal response times per label, about 2% failures (500, 404, a
connection refused row and assertion failures whose message holds a comma and quotes), and
about 1 row in 100,000 whose failureMessage spans several lines (JMeter's Equals-assertion
message). Timestamps grow with small out-of-order jitter, as JMeter's do. Same seed, same bytes.
"""
import argparse
import random
import sys
import time

# label, path, method, median elapsed ms, sigma, response bytes
LABELS = [
    ("GET /", "/", "GET", 12, 0.5, 1_840),
    ("GET /cart, items", "/cart?items=3", "GET", 25, 0.6, 2_310),
    ("GET /items/[id]", "/items/17", "GET", 18, 0.5, 1_290),
    ("POST /checkout", "/checkout", "POST", 45, 0.7, 412),
    ("GET /search", "/search?q=widget", "GET", 60, 0.8, 8_804),
    ("GET /login", "/login", "GET", 9, 0.4, 3_120),
    ("POST /login", "/login", "POST", 70, 0.5, 640),
    ("GET /account, orders", "/account/orders", "GET", 35, 0.6, 5_502),
    ("GET /static/app.js", "/static/app.js", "GET", 4, 0.3, 48_112),
    ("GET /slow", "/slow", "GET", 240, 0.4, 920),
]
WEIGHTS = [14, 12, 12, 8, 10, 6, 6, 8, 20, 4]
HEADER = ("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
          "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n")
CONTAINS_MSG = '"Test failed: text expected to contain /""status"":""ok""/, got ""degraded"""'
EQUALS_MSG = ('"Test failed: text expected to equal /\n\n****** received  : [[[nope]]]\n\n'
              '****** comparison: [[[ok  ]]]\n\n/"')


def quote(field):
    if any(c in field for c in ',"\r\n'):
        return '"' + field.replace('"', '""') + '"'
    return field


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("rows", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--split", type=int, default=1)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    threads = 50
    labels = [(quote(l), f"http://app.test{p}", m, med, s, b) for l, p, m, med, s, b in LABELS]
    thread_names = [f"TG 1-{i}" for i in range(1, threads + 1)]
    ts = 1_795_650_000_000
    t0 = time.perf_counter()
    choices = rng.choices(range(len(labels)), weights=WEIGHTS, k=args.rows)
    with open(args.out, "w", newline="") as f:
        f.write(HEADER)
        buf = []
        for i, li in enumerate(choices):
            label, url, method, med, sigma, size = labels[li]
            if args.split > 1:
                label = quote(f"{LABELS[li][0]} #{i % args.split}")
            elapsed = int(rng.lognormvariate(0, sigma) * med) + 1
            latency = max(1, elapsed - rng.randint(0, 3))
            connect = rng.randint(1, 4) if rng.random() < 0.03 else 0
            thread = thread_names[i % threads]
            sent = 118 + len(url) + (64 if method == "POST" else 0)
            code, msg, fmsg, nbytes, success = "200", "OK", "", size, "true"
            r = rng.random()
            if r < 0.02:  # ~2% failures
                success = "false"
                if r < 0.008:
                    code, msg, nbytes = "500", "Internal Server Error", 207
                elif r < 0.013:
                    code, msg, nbytes = "404", "Not Found", 188
                elif r < 0.0135:
                    code = "Non HTTP response code: java.net.ConnectException"
                    msg = "Non HTTP response message: Connection refused"
                    nbytes, sent, latency, connect = 2014, 0, 0, elapsed
                elif r < 0.01351:
                    fmsg = EQUALS_MSG  # multi-line, about 1 row in 100,000
                else:
                    fmsg = CONTAINS_MSG
            ts += rng.randint(0, 2)
            buf.append(f"{ts - rng.randint(0, 40)},{elapsed},{label},{code},{msg},{thread},text,"
                       f"{success},{fmsg},{nbytes},{sent},{threads},{threads},{url},{latency},0,{connect}\n")
            if len(buf) >= 10_000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    print(f"{args.out}: {args.rows} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
