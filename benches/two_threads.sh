#!/usr/bin/env bash
# Two threads against one, as alternating pairs (issue 13: "two threads at least 1.9x one").
#
#   cargo build --release
#   bash benches/two_threads.sh [SCENARIO] [PAIRS] [RUNS]
#
# SCENARIO defaults to a synthetic world of 193 states over 100 years (`comity synth`), PAIRS to
# 12 and RUNS to 40. Each pair runs RUNS runs on one thread and 2 x RUNS on two, the one-thread
# run first in odd pairs and second in even ones, so that a shared machine's slow and fast phases
# fall on both sides. A pair's speed-up is runs per second on two threads over runs per second on
# one. Prints every pair, their median and the pooled figure (all two-thread runs over their
# summed wall time, against the same for one thread). Wall time includes loading the scenario
# (about 0.1 s for the 193-state world), the same in both runs of a pair. Set COMITY to time
# another binary. Writes nothing outside a temporary folder, which it removes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${COMITY:-$root/target/release/comity}
if [ ! -x "$bin" ]; then
  echo "two_threads.sh: no comity binary at $bin: run 'cargo build --release' first, or set COMITY" >&2
  exit 2
fi
scenario=${1:-}
pairs=${2:-12}
runs=${3:-40}
case "$pairs$runs" in
  *[!0-9]*) echo "two_threads.sh: PAIRS and RUNS must be whole numbers, e.g. 12 40" >&2; exit 2 ;;
esac
if [ "$pairs" -lt 1 ] || [ "$runs" -lt 1 ]; then
  echo "two_threads.sh: PAIRS and RUNS must be at least 1" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$scenario" ]; then
  "$bin" synth --states 193 --years 100 --out "$tmp/world" > /dev/null
  scenario=$tmp/world/scenario.toml
fi
TIMEFORMAT=%R
timed() { # threads runs -> wall seconds
  rm -rf "$tmp/out"
  if ! { time "$bin" run "$scenario" --runs "$2" --threads "$1" --quiet --yes --out "$tmp/out" > /dev/null 2> "$tmp/err"; } 2>&1; then
    echo "two_threads.sh: comity run failed:" >&2
    cat "$tmp/err" >&2
    return 1
  fi
}
echo "pair  1 thread (s, $runs runs)  2 threads (s, $((2 * runs)) runs)  speed-up"
results=""
for p in $(seq 1 "$pairs"); do
  if [ $((p % 2)) -eq 1 ]; then
    one=$(timed 1 "$runs"); two=$(timed 2 $((2 * runs)))
  else
    two=$(timed 2 $((2 * runs))); one=$(timed 1 "$runs")
  fi
  speedup=$(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.3f", 2 * a / b }')
  printf "%4d  %22s  %24s  %8s\n" "$p" "$one" "$two" "$speedup"
  results="$results$one $two $speedup
"
done
printf "%s" "$results" | awk -v runs="$runs" '
  { one += $1; two += $2; s[NR] = $3 }
  END {
    n = asort_len(s)
    printf "median %.3f  pooled %.3f  (%d pairs; %d runs on two threads in %.1f s, %d on one in %.1f s)\n",
      median(s, n), (2 * runs * NR / two) / (runs * NR / one), NR, 2 * runs * NR, two, runs * NR, one
  }
  function asort_len(a,   i, j, t, n) {
    n = 0; for (i in a) n++
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n
  }
  function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }'
