"""Captures exactly what a keptn-dt-metrics binary sends and prints for a fixed, wide set of
inputs, so that two builds can be compared byte for byte (a refactor must not change the wire).

    python3 bench/payload_check.py make-inputs DIR          # once: writes the inputs
    python3 bench/payload_check.py run BINARY DIR OUT      # per binary: runs every case
    diff -r OUT-old OUT-new

Each case records the exit code, stdout and stderr (the server's port masked), and every request
body: line protocol as text, OTLP decoded to JSON with the DELTA window's times masked (the clock
is the one thing that differs between runs). Needs `pip install opentelemetry-proto`.
Run both binaries within the hour after make-inputs: the inputs hold timestamps near "now".
"""
import gzip
import json
import os
import random
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "dt0c01.PAYLOADCHECK"


def make_inputs(d):
    os.makedirs(d, exist_ok=True)
    now_ms = int(time.time() * 1000)

    def write(name, text):
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)

    write("lines.txt", "\n".join([
        "app.deploys,region=eu-west gauge,1",
        "#app.deploys gauge dt.meta.unit=Count,dt.meta.description=\"Deploys, all\"",
        "app.latency,endpoint=/cart,Method=GET gauge,min=1,max=9,sum=30,count=5",
        'app.quoted,q="a b, c" 7',
        "app.esc,v=a\\ b\\,c count,delta=3",
        f"app.stamped 4 {now_ms - 60_000}",
        "bad line here",
        "dt.reserved 1",
        "ab 1",
        "app.nan gauge,NaN",
        "#app.other count dt.meta.displayName=\"Other\"",
        "app.other count,delta=1",
        "",
    ]))
    write("list.json", json.dumps([{"name": "metric1", "value": 42},
                                   {"name": "Load Test/p95 ms", "value": 0.00001},
                                   {"name": "big", "value": 1e17},
                                   {"name": "bad", "value": "x"}]))
    write("object.json", json.dumps({
        "dimensions": {"test_strategy": "performance", "Run": 7, "ok": True},
        "metrics": [
            {"name": "response_time_p95", "value": 412.5, "unit": "MilliSecond",
             "description": "95th percentile \"response\" time", "display_name": "p95"},
            {"name": "requests", "type": "count", "value": 12000},
            {"name": "response_time", "type": "summary", "min": 12, "max": 980, "sum": 2460000,
             "count": 12000, "dimensions": {"endpoint": "/api/cart", "Test_Strategy": "soak"},
             "timestamp": now_ms - 120_000},
            {"name": "iso", "value": 1, "timestamp":
             time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_ms / 1000 - 300))},
            {"name": "inconsistent", "type": "summary", "min": 5, "max": 1, "sum": 3, "count": 1},
            {"name": "seconds", "value": 1, "timestamp": now_ms // 1000},
            {"name": "typo", "value": 1, "dimension": {}},
            {"name": "ctl", "value": 2, "dimensions": {"v": "tab\there\u0007", "k e y": "x=y"}},
        ],
        "histograms": [
            {"name": "response_time", "unit": "ms", "description": "Checkout latency",
             "attributes": {"endpoint": "/api/cart"}, "samples": [12.5, 48, 230, 51.2]},
            {"name": "build_step_time", "unit": "s", "bounds": [1, 10, 60],
             "counts": [3, 12, 4, 1], "sum": 412.7, "min": 0.4, "max": 95},
            {"name": "nosum", "bounds": [1], "counts": [1, 1]},
        ],
    }))
    rng = random.Random(7)
    write("samples.txt", "\n".join(str(rng.uniform(0, 3000)) for _ in range(2000)) + "\nNaN\nx\n")
    write("many.json", json.dumps([{"name": f"metric{i % 50}", "value": i + 0.5,
                                     "dimensions": {"i": i % 7}} for i in range(2500)]))


CASES = [
    ("m-forms", [], ["-m", "build_time=42.5", "-m", "build_time,step=compile=42.5",
                     "-m", "deploys count,delta=1",
                     "-m", "response_time,endpoint=/cart gauge,min=12,max=980,sum=24600,count=120"]),
    ("lines", [], ["--lines", "lines.txt"]),
    ("list", [], ["--input", "list.json"]),
    ("object", [], ["--input", "object.json"]),
    ("object-summaries", [], ["--input", "object.json", "--histogram-summaries"]),
    ("samples", [], ["--histogram", "latency=samples.txt", "--bounds", "10,100,1000"]),
    ("samples-default", [], ["--histogram", "latency=samples.txt"]),
    ("many", [], ["--input", "many.json"]),
    ("all-keptn", [("KEPTN_PROJECT", "sockshop"), ("KEPTN_STAGE", "staging"),
                   ("KEPTN_SERVICE", "carts"), ("KEPTN_CONTEXT", "ctx-123"),
                   ("KEPTN_EVENT_TYPE", "sh.keptn.event.test.triggered"),
                   ("LABELS_BUILDID", "1.2.3"), ("LABELS_GIT_COMMIT", "abc"),
                   ("DEFAULT_DIMENSIONS", "team=core, owner=me"), ("INTEGRATION_NAME", "loadtest")],
     ["--input", "object.json", "--lines", "lines.txt", "--dimension", "team=web",
      "--label", "extra=1", "-m", "x_metric=1", "--histogram", "h=samples.txt"]),
    ("no-prefix", [("METRIC_PREFIX", "")], ["--prefix", "", "-m", "abc.def=1", "--input", "list.json"]),
    ("custom-prefix", [("METRIC_PREFIX", "acme.")], ["-m", "x_metric=1"]),
]


class Capture(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bodies = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        Capture.bodies.append((self.path, body))
        if self.path.endswith("/metrics/ingest"):
            n = len([line for line in body.split(b"\n") if line.strip()])
            answer = json.dumps({"linesOk": n, "linesInvalid": 0, "error": None}).encode()
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


def otlp_json(body):
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    request.ParseFromString(body)
    data = MessageToDict(request)
    for rm in data.get("resourceMetrics", []):
        for sm in rm.get("scopeMetrics", []):
            for m in sm.get("metrics", []):
                for p in m.get("histogram", {}).get("dataPoints", []):
                    p["startTimeUnixNano"] = p["timeUnixNano"] = "MASKED"
    return json.dumps(data, indent=1, sort_keys=True)


def mask_dry_run_times(text):
    import re
    return re.sub(r'"(startTimeUnixNano|timeUnixNano|start_time_unix_nano|time_unix_nano)": ?"?\d+"?',
                  r'"\1":MASKED', text)


def run(binary, d, out):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    os.makedirs(out, exist_ok=True)
    for name, env, args in CASES:
        for mode in ("send", "dry-text", "dry-json", "send-json"):
            Capture.bodies = []
            environ = {"PATH": "/usr/bin:/bin", "DT_METADATA_DIR": d}
            environ.update(env)
            extra = []
            if mode.startswith("send"):
                environ.update({"DT_TENANT": url, "DT_API_TOKEN": TOKEN})
            else:
                extra.append("--dry-run")
            if mode.endswith("json"):
                extra += ["--output", "json"]
            p = subprocess.run([os.path.abspath(binary)] + args + extra, cwd=d, env=environ,
                               capture_output=True, timeout=60)
            case = os.path.join(out, f"{name}.{mode}")
            os.makedirs(case, exist_ok=True)
            mask = lambda b: mask_dry_run_times(b.decode("utf-8", "replace").replace(str(port), "PORT"))
            with open(os.path.join(case, "exit"), "w") as f:
                f.write(f"{p.returncode}\n")
            with open(os.path.join(case, "stdout"), "w") as f:
                f.write(mask(p.stdout))
            with open(os.path.join(case, "stderr"), "w") as f:
                f.write(mask(p.stderr))
            for i, (path, body) in enumerate(Capture.bodies):
                if path.endswith("/metrics/ingest"):
                    text = body.decode("utf-8")
                else:
                    text = otlp_json(body)
                with open(os.path.join(case, f"request-{i:03}{path.replace('/', '_')}"), "w") as f:
                    f.write(text)
    server.shutdown()


if __name__ == "__main__":
    if sys.argv[1] == "make-inputs":
        make_inputs(sys.argv[2])
    elif sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
