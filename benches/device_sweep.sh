#!/usr/bin/env bash
# Many-core scaling check (run where many cores are available, e.g. a lent 16-core machine).
# Prepare here first:
#   cargo bench --no-run          # prints the path of the engine bench binary
#   mkdir -p bench-bin && cp target/release/deps/engine-<hash> bench-bin/engine && cp target/release/comity bench-bin/comity
# then run from the repository root:  bash benches/device_sweep.sh
set -u
cd "$(dirname "$0")/.."
echo "== machine"; nproc; (lscpu | grep -E "Model name|^CPU\(s\)") || true
echo "== bench (full, with thread sweep)"
./bench-bin/engine --sweep
echo "== determinism: --threads 1 vs --threads $(nproc)"
./bench-bin/comity run scenarios/western_community.toml --runs 2000 --threads 1 --disputes --quiet --out /tmp/t1
./bench-bin/comity run scenarios/western_community.toml --runs 2000 --threads "$(nproc)" --disputes --quiet --out /tmp/tn
for f in timeseries.csv runs.csv disputes.csv; do
  if cmp -s /tmp/t1/$f /tmp/tn/$f; then echo "$f identical ($(sha256sum < /tmp/t1/$f | cut -c1-16))"; else echo "$f DIFFERS"; fi
done
echo "== 100000 runs at $(nproc) threads"
if command -v /usr/bin/time >/dev/null; then
  /usr/bin/time -v ./bench-bin/comity run scenarios/western_community.toml --runs 100000 --quiet --out /tmp/big 2> /tmp/big.txt
  grep -E "Elapsed|Maximum resident" /tmp/big.txt
else
  s=$(date +%s.%N); ./bench-bin/comity run scenarios/western_community.toml --runs 100000 --quiet --out /tmp/big; e=$(date +%s.%N)
  echo "elapsed $(echo "$e - $s" | bc) s"; grep VmHWM /proc/self/status || true
fi
grep wall_seconds /tmp/big/manifest.json
