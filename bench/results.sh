#!/bin/sh
# --results on a large JTL next to the Python baseline (csv module and pandas), side by side:
#   bench/results.sh [BINARY] [ROWS]     (BINARY: target/release/keptn-dt-metrics, ROWS: 1000000)
# Needs GNU time (apt-get install time) and, for the pandas row, pip install pandas.
set -eu
bin=${1:-target/release/keptn-dt-metrics}
rows=${2:-1000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$(dirname "$0")/make_jtl.py" "$dir/big.jtl" "$rows"
python3 "$(dirname "$0")/make_jtl.py" "$dir/small.jtl" 10000
for run in 1 2 3; do
  printf 'keptn-dt-metrics %s rows, run %s: ' "$rows" "$run"
  /usr/bin/time -f '%e s %M KiB' "$bin" --dry-run --results "$dir/big.jtl" > /dev/null 2> "$dir/err" || true
  tail -1 "$dir/err"
done
printf 'keptn-dt-metrics 10000 rows: '
/usr/bin/time -f '%e s %M KiB' "$bin" --dry-run --results "$dir/small.jtl" > /dev/null 2> "$dir/err" || true
tail -1 "$dir/err"
printf 'python csv module: '
/usr/bin/time -f '%e s %M KiB' python3 "$(dirname "$0")/jtl_baseline.py" "$dir/big.jtl" > /dev/null
if python3 -c 'import pandas' 2> /dev/null; then
  printf 'python pandas: '
  /usr/bin/time -f '%e s %M KiB' python3 "$(dirname "$0")/jtl_baseline.py" --pandas "$dir/big.jtl" > /dev/null
fi
