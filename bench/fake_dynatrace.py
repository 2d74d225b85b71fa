"""A loopback stand-in for Dynatrace's ingest endpoints, for whole-process benchmarks only.

Answers POST .../api/v2/metrics/ingest with 202 and a ValidationResponse counting the lines, and
POST .../v1/metrics (OTLP) with 200 and an empty body. Usage: python3 fake_dynatrace.py PORT
"""
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
            answer = json.dumps({"linesOk": lines, "linesInvalid": 0, "error": None}).encode()
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
        else:
            answer = b""
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
