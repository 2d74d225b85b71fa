#!/usr/bin/env bash
# Whole-process timings of keptn-dt-metrics against the guide's Python script (../shared/peers),
# both sending to the same loopback endpoint. Needs hyperfine (apt-get install hyperfine),
# python3 with requests, and GNU time (apt-get install time). Usage: bench/whole-process.sh
set -euo pipefail
cd "$(dirname "$0")/.."
peers=${PEERS:-../shared/peers}
port=${PORT:-18475}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT

cargo build --release --quiet
bin=target/release/keptn-dt-metrics
python3 bench/fake_dynatrace.py "$port" & server=$!
sleep 0.5

export DT_TENANT=http://127.0.0.1:$port DT_API_TOKEN=dt0c01.bench
export KEPTN_PROJECT=sockshop KEPTN_STAGE=staging KEPTN_SERVICE=carts
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
for n in 1 10000; do
  python3 - "$n" > "$work/metrics-$n.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps([{"name": f"metric{i % 50}", "value": i + 0.5} for i in range(n)]))
PY
  echo "== $n metric(s)"
  hyperfine --warmup 2 --runs ${RUNS:-10} -N --export-markdown "$work/h-$n.md" \
    -n keptn-dt-metrics "$bin --input $work/metrics-$n.json" \
    -n app.py "env METRICS_JSON=$work/metrics-$n.json python3 $peers/app.py" >/dev/null
  cat "$work/h-$n.md"
  echo "peak RSS: keptn-dt-metrics $(( $(rss $bin --input "$work/metrics-$n.json") / 1024 )) MiB," \
    "app.py $(( $(METRICS_JSON=$work/metrics-$n.json rss python3 "$peers/app.py") / 1024 )) MiB"
done
# Histograms: 10,000 samples, against the OpenTelemetry Python SDK sender (needs
# pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http).
python3 -c "import random; r = random.Random(7); print('\n'.join(str(r.uniform(5, 500)) for _ in range(10000)))" \
  > "$work/samples.txt"
echo "== histogram of 10000 samples"
hyperfine --warmup 2 --runs ${RUNS:-10} -N --export-markdown "$work/h-hist.md" \
  -n keptn-dt-metrics "$bin --histogram http.server.duration=$work/samples.txt" \
  -n send_histogram.py "env DT_ENDPOINT=$DT_TENANT/api/v2/otlp SAMPLES=10000 python3 $peers/send_histogram.py" >/dev/null
cat "$work/h-hist.md"
echo "peak RSS: keptn-dt-metrics $(( $(rss $bin --histogram "http.server.duration=$work/samples.txt") / 1024 )) MiB," \
  "send_histogram.py $(( $(DT_ENDPOINT=$DT_TENANT/api/v2/otlp SAMPLES=10000 rss python3 "$peers/send_histogram.py") / 1024 )) MiB"
ls -l "$bin" | awk '{printf "binary size: %.1f MiB\n", $5 / 1048576}'
