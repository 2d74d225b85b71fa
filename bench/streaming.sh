#!/usr/bin/env bash
# Throughput and memory of keptn-dt-metrics on large inputs (the streaming benchmarks), next to
# an optional second binary and Dynatrace's official Python serializer. Prints a markdown table.
#
# Usage: bench/streaming.sh [BINARY [PEER_BINARY]]
#   BINARY       default target/release/keptn-dt-metrics (not built here: cargo build --release)
#   PEER_BINARY  optional, e.g. a release build of main, measured side by side
#   Paths are taken relative to the directory the script is called from.
#
# Needs: GNU time and hyperfine (apt-get install time hyperfine), curl, python3 with
# dynatrace-metric-utils (pip install dynatrace-metric-utils==0.2.1) for the Python rows.
#
# Environment (all optional):
#   SIZES="10000 100000 1000000 5000000"  corpus sizes for the --dry-run rows
#   PY_SIZES="100000 1000000"             sizes for the Python serializer rows ("" to skip)
#   SEND_SIZE=1000000                     metrics sent to the fake endpoint ("" or 0 to skip)
#   DELAY_MS=50                           answer delay of the slow fake endpoint
#   HIST_SIZES="1000 10000000"            samples for the --histogram rows ("" to skip)
#   HYPERFINE_MAX=100000                  sizes up to this are timed with hyperfine
#   RUNS=10                               hyperfine runs (after 2 warm-ups)
#   LARGE_RUNS=3                          GNU time runs above HYPERFINE_MAX (median wall)
#   SEND_RUNS=1                           runs of each send case
#   SEED=1                                corpus seed (bench/corpus.py --seed)
#   WORK=target/bench-corpus              cache of corpora and sample files (outside git)
#   PORT=18476                            fake endpoint at once; PORT+1 answers after DELAY_MS
#
# What runs (the same environment for every program, see below):
#   dry run    BINARY --dry-run --input corpus-N.json > /dev/null   (stderr to a log)
#   python     python3 bench/python_serializer.py corpus-N.json > /dev/null
#   send       DT_TENANT=http://127.0.0.1:PORT DT_API_TOKEN=dt0c01.bench BINARY --input corpus-N.json
#              against bench/fake_dynatrace.py answering at once and after DELAY_MS; the lines
#              the endpoint counted (GET /stats) must equal N
#   histogram  BINARY --histogram http.server.duration=samples-N.txt, sent to the fast endpoint
# Wall time: hyperfine -N mean ± σ for sizes <= HYPERFINE_MAX (and the 1,000-sample histogram),
# else the median of LARGE_RUNS runs of /usr/bin/time -f '%e %M'. Peak RSS: the largest %M seen.
# lines/s = N / wall. The corpora are cached under WORK by seed, size and a hash of corpus.py,
# and all are generated (and synced to disk) before the first measurement.
# The table goes to stdout and to WORK/streaming-results.md; progress goes to stderr.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
root=$PWD
abspath() { case $1 in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }
bin=$(abspath "${1:-$root/target/release/keptn-dt-metrics}")
peer=${2:+$(abspath "$2")}
for b in "$bin" ${peer:+"$peer"}; do
  [[ -x $b ]] || { echo "streaming.sh: $b is not an executable (cargo build --release?)" >&2; exit 2; }
done
for tool in /usr/bin/time hyperfine curl python3; do
  command -v "$tool" >/dev/null || { echo "streaming.sh: needs $tool" >&2; exit 2; }
done

SIZES=${SIZES-10000 100000 1000000 5000000}
PY_SIZES=${PY_SIZES-100000 1000000}
SEND_SIZE=${SEND_SIZE-1000000}
DELAY_MS=${DELAY_MS:-50}
HIST_SIZES=${HIST_SIZES-1000 10000000}
HYPERFINE_MAX=${HYPERFINE_MAX:-100000}
RUNS=${RUNS:-10}
LARGE_RUNS=${LARGE_RUNS:-3}
SEND_RUNS=${SEND_RUNS:-1}
SEED=${SEED:-1}
WORK=$(abspath "${WORK:-$root/target/bench-corpus}")
PORT=${PORT:-18476}
mkdir -p "$WORK"
tmp=$(mktemp -d)
servers=()
cleanup() {
  for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The same context for every program: 1 default dimension, 4 Keptn dimensions.
export DEFAULT_DIMENSIONS=env=bench KEPTN_PROJECT=sockshop KEPTN_STAGE=staging KEPTN_SERVICE=carts
export DT_METADATA_ENRICHMENT=false
unset DT_TENANT DT_API_TOKEN DT_METRICS_URL DT_OTLP_URL INTEGRATION_NAME METRIC_PREFIX 2>/dev/null || true

log() { echo "streaming.sh: $*" >&2; }
label() { basename "$1"; }
names=("$(label "$bin")")
bins=("$bin")
if [[ -n $peer ]]; then
  pl=$(label "$peer"); [[ $pl == "${names[0]}" ]] && pl="$pl (peer)"
  names+=("$pl"); bins+=("$peer")
fi

gen_hash=$(sha256sum bench/corpus.py | cut -c1-12)
corpus() { # corpus N -> path (generated once)
  local f="$WORK/corpus-s$SEED-n$1-$gen_hash.json"
  if [[ ! -s $f ]]; then
    log "generating $1 metrics into $f"
    python3 bench/corpus.py --seed "$SEED" -n "$1" "$f.tmp" 2>"$f.stats"
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}
samples() { # samples N -> path: N numbers, one a line, uniform in [5, 500), seed 7
  local f="$WORK/samples-n$1.txt"
  if [[ ! -s $f ]]; then
    log "generating $1 samples into $f"
    python3 - "$1" >"$f.tmp" <<'PY'
import random, sys
r, n, out = random.Random(7), int(sys.argv[1]), sys.stdout
for start in range(0, n, 100000):
    out.write("".join(f"{r.uniform(5, 500)!r}\n" for _ in range(min(100000, n - start))))
PY
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}

fmt_wall() { # seconds [stddev] -> "123 ms ± 4" or "12.3 s ± 0.2"
  python3 - "$@" <<'PY'
import sys
m = float(sys.argv[1]); sd = float(sys.argv[2]) if len(sys.argv) > 2 else None
if m < 1:
    s = f"{m * 1000:.1f} ms" + (f" ± {sd * 1000:.1f}" if sd is not None else "")
else:
    s = f"{m:.2f} s" + (f" ± {sd:.2f}" if sd is not None else "")
print(s)
PY
}
rate() { python3 -c "import sys; n, t = int(sys.argv[1]), float(sys.argv[2]); print(f'{n / t:,.0f}' if t > 0 else '-')" "$1" "$2"; }
mib() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1024:,.0f} MiB')" "$1"; }

# measure SMALL N CMD... : sets WALL (seconds), WALL_TXT, RSS_KB, RC; stdout of CMD -> /dev/null,
# stderr -> $tmp/last.err
measure() {
  local small=$1 n=$2; shift 2
  local walls=() rss=0 i w m rc=0
  RC=0
  local runs=$LARGE_RUNS
  [[ $small == 1 ]] && runs=1
  for ((i = 0; i < runs; i++)); do
    rc=0
    /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/last.err" || rc=$?
    [[ $rc != 0 ]] && RC=$rc
    read -r w m < <(tail -1 "$tmp/time")  # after "Command exited with non-zero status N"
    walls+=("$w"); ((m > rss)) && rss=$m
  done
  RSS_KB=$rss
  if [[ $small == 1 ]]; then
    hyperfine -N -i --warmup 2 --runs "$RUNS" --export-json "$tmp/h.json" "$*" >/dev/null 2>&1
    read -r WALL sd < <(python3 -c "import json; r = json.load(open('$tmp/h.json'))['results'][0]; print(r['mean'], r['stddev'] or 0)")
    WALL_TXT=$(fmt_wall "$WALL" "$sd")
  else
    WALL=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    WALL_TXT=$(fmt_wall "$WALL")
    ((runs > 1)) && WALL_TXT="$WALL_TXT (median of $runs)"
  fi
  return 0
}
cell() { # n -> " wall | lines/s | RSS" for the last measure
  local extra=""
  [[ $RC != 0 ]] && extra=" (exit $RC)"
  echo "$WALL_TXT$extra | $(rate "$1" "$WALL") | $(mib "$RSS_KB")"
}
fmt_n() { python3 -c "import sys; print(f'{int(sys.argv[1]):,}')" "$1"; }

# Generate (or find) every input first, and let the writes reach the disk, so that neither
# generation nor writeback runs during a measurement.
for n in $SIZES $PY_SIZES $SEND_SIZE; do [[ $n != 0 ]] && corpus "$n" >/dev/null; done
for n in $HIST_SIZES; do samples "$n" >/dev/null; done
sync

rows=()
header="| workload |"
sep="|---|"
for nm in "${names[@]}"; do
  header+=" $nm wall | lines/s | peak RSS |"
  sep+="---:|---:|---:|"
done

# 1. --dry-run
for n in $SIZES; do
  f=$(corpus "$n")
  small=0; ((n <= HYPERFINE_MAX)) && small=1
  row="| \`--dry-run\`, $(fmt_n "$n") metrics |"
  for b in "${bins[@]}"; do
    log "dry run, $n metrics: $b"
    measure "$small" "$n" "$b" --dry-run --input "$f"
    row+=" $(cell "$n") |"
  done
  rows+=("$row")
done

# 2. Dynatrace's Python serializer (dynatrace-metric-utils), same corpus and dimensions.
py_rows=()
if [[ -n $PY_SIZES ]] && python3 -c 'import dynatrace.metric.utils' 2>/dev/null; then
  for n in $PY_SIZES; do
    f=$(corpus "$n")
    log "python serializer, $n metrics"
    measure 0 "$n" python3 bench/python_serializer.py "$f"
    stats=$(grep '^python-serializer:' "$tmp/last.err" | tail -1)
    ser=$(sed -n 's/.*serialize [0-9.]* s (\([0-9]*\) lines\/s).*/\1/p' <<<"$stats")
    py_rows+=("| $(fmt_n "$n") metrics | $(cell "$n") | $(python3 -c "print(f'{int(\"${ser:-0}\"):,}')") |")
  done
elif [[ -n $PY_SIZES ]]; then
  log "skipping the Python serializer: pip install dynatrace-metric-utils==0.2.1"
fi

# 3. Send path: the fake endpoint answering at once and after DELAY_MS.
start_server() { # port [delay]
  python3 bench/fake_dynatrace.py "$1" --delay-ms "${2:-0}" 2>>"$tmp/server.err" &
  servers+=($!)
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$1/stats" >/dev/null && return 0; sleep 0.1; done
  echo "streaming.sh: fake endpoint on port $1 did not start" >&2; exit 2
}
lines_at() { curl -sf "http://127.0.0.1:$1/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["lines"])'; }
need_fast=0
[[ -n $SEND_SIZE && $SEND_SIZE != 0 ]] && need_fast=1
[[ -n $HIST_SIZES ]] && need_fast=1
((need_fast)) && start_server "$PORT" 0
if [[ -n $SEND_SIZE && $SEND_SIZE != 0 ]]; then
  start_server $((PORT + 1)) "$DELAY_MS"
  f=$(corpus "$SEND_SIZE")
  for delay in 0 "$DELAY_MS"; do
    port=$PORT; [[ $delay != 0 ]] && port=$((PORT + 1))
    row="| send $(fmt_n "$SEND_SIZE") metrics, endpoint answers $([[ $delay == 0 ]] && echo "at once" || echo "after $delay ms") |"
    for b in "${bins[@]}"; do
      log "send $SEND_SIZE metrics, delay $delay ms: $b"
      before=$(lines_at "$port")
      LARGE_RUNS=$SEND_RUNS measure 0 "$SEND_SIZE" env DT_TENANT="http://127.0.0.1:$port" DT_API_TOKEN=dt0c01.bench \
        "$b" --input "$f"
      got=$(( $(lines_at "$port") - before ))
      expected=$((SEND_SIZE * SEND_RUNS))
      note=""; [[ $got != "$expected" ]] && note=" (endpoint got $got of $expected lines)"
      row+=" $(cell "$SEND_SIZE")$note |"
    done
    rows+=("$row")
  done
fi

# 4. Histograms from raw samples (OTLP, sent to the fast endpoint).
for n in $HIST_SIZES; do
  f=$(samples "$n")
  small=0; ((n <= HYPERFINE_MAX)) && small=1
  row="| \`--histogram\`, $(fmt_n "$n") samples (samples/s) |"
  for b in "${bins[@]}"; do
    log "histogram of $n samples: $b"
    measure "$small" "$n" env DT_TENANT="http://127.0.0.1:$PORT" DT_API_TOKEN=dt0c01.bench \
      "$b" --histogram "http.server.duration=$f"
    row+=" $(cell "$n") |"
  done
  rows+=("$row")
done

# 5. The lines agree: the first binary's --dry-run against the Python library, smallest corpus.
check=""
first=$(set -- $SIZES; echo "${1:-}")
if [[ -n $first ]] && python3 -c 'import dynatrace.metric.utils' 2>/dev/null; then
  f=$(corpus "$first")
  "$bin" --dry-run --input "$f" >"$tmp/ours.txt" 2>/dev/null || true
  python3 bench/python_serializer.py "$f" >"$tmp/py.txt" 2>/dev/null
  if cmp -s "$tmp/ours.txt" "$tmp/py.txt"; then
    check="The $(fmt_n "$first")-metric corpus gives byte-identical lines from \`${names[0]} --dry-run\` and the Python serializer."
  else
    check="The $(fmt_n "$first")-metric corpus: \`${names[0]} --dry-run\` and the Python serializer differ on $(diff "$tmp/ours.txt" "$tmp/py.txt" | grep -c '^<' || true) line(s)."
  fi
fi

largest=0
for n in $SIZES $PY_SIZES $SEND_SIZE; do ((n > largest)) && largest=$n; done
stats=$(cat "$WORK/corpus-s$SEED-n$largest-$gen_hash.json.stats" 2>/dev/null || true)
{
  echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d). Corpus: bench/corpus.py --seed $SEED ($stats)."
  echo "Context: DEFAULT_DIMENSIONS=env=bench, KEPTN_PROJECT/STAGE/SERVICE set (5 dimensions added to each line)."
  echo
  echo "$header"
  echo "$sep"
  printf '%s\n' "${rows[@]}"
  if ((${#py_rows[@]})); then
    echo
    echo "Dynatrace's official Python serializer (dynatrace-metric-utils $(python3 -c 'import dynatrace.metric.utils as u; print(u.VERSION)'), bench/python_serializer.py), same corpus and dimensions: lines/s of the whole process, and of serializing alone (after json.load):"
    echo
    echo "| corpus | wall | lines/s | peak RSS | lines/s serializing |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s\n' "${py_rows[@]}"
  fi
  [[ -n $check ]] && { echo; echo "$check"; }
} | tee "$WORK/streaming-results.md"
