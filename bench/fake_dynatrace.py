"""A loopback stand-in for Dynatrace's ingest endpoints, for whole-process benchmarks only.

Answers POST .../api/v2/metrics/ingest with 202 and a ValidationResponse counting the lines, and
POST .../v1/metrics (OTLP) with 200 and an empty body.

Usage: python3 fake_dynatrace.py PORT [--delay-ms MS]
  --delay-ms MS (or env FAKE_DT_DELAY_MS): wait MS milliseconds before each answer, like a
      remote tenant's round trip (default 0: answer at once, as before).
  GET /stats answers {"requests":..,"lines":..,"bytes":..,"otlp_requests":..,"otlp_bytes":..}
  (totals since start); on SIGTERM or SIGINT the same totals go to stderr as one JSON line
  prefixed `fake_dynatrace: ` and the server exits 0.
Needs only Python 3.
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATS = {"requests": 0, "lines": 0, "bytes": 0, "otlp_requests": 0, "otlp_bytes": 0}
LOCK = threading.Lock()
DELAY = 0.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out as two writes; without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.endswith("/metrics/ingest"):
            lines = len([line for line in body.split(b"\n") if line.strip()])
            with LOCK:
                STATS["requests"] += 1
                STATS["lines"] += lines
                STATS["bytes"] += len(body)
            answer = json.dumps({"linesOk": lines, "linesInvalid": 0, "error": None}).encode()
            status, content_type = 202, "application/json"
        else:
            with LOCK:
                STATS["otlp_requests"] += 1
                STATS["otlp_bytes"] += len(body)
            answer = b""
            status, content_type = 200, "application/x-protobuf"
        if DELAY:
            time.sleep(DELAY)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):
        if self.path.rstrip("/") != "/stats":
            self.send_error(404)
            return
        with LOCK:
            answer = json.dumps(STATS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def stop(signum, frame):
    with LOCK:
        print("fake_dynatrace: " + json.dumps(STATS), file=sys.stderr, flush=True)
    sys.exit(0)


def main():
    global DELAY
    p = argparse.ArgumentParser(description="Loopback stand-in for Dynatrace's ingest endpoints")
    p.add_argument("port", type=int)
    p.add_argument("--delay-ms", type=float, default=float(os.environ.get("FAKE_DT_DELAY_MS") or 0))
    a = p.parse_args()
    DELAY = a.delay_ms / 1000
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
