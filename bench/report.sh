#!/usr/bin/env bash
# Benchmark for issue 6: `pinline report` over 1,000 generated runs (signed
# provenance re-checked with --key), each format, median of 5 runs.
# Usage: bench/report.sh [RUNS]   (RUNS defaults to 5)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PINLINE_BENCH_RUNS_DIR=$work/runs go test -count=1 -tags generate -run TestWriteBenchRuns ./report/ >/dev/null
go build -o "$work/" ./cmd/pinline ./cmd/pinline-full
for fmt in json md html; do
  times=() cpus=()
  for _ in $(seq "$n"); do
    TIMEFORMAT='%R %U %S'
    t=$( { time "$work/pinline" report --runs "$work/runs" --key "$work/runs.pub" --format "$fmt" -o "$work/out.$fmt" 2>/dev/null; } 2>&1 )
    read -r real user sys <<<"$t"
    times+=("$real") cpus+=("$(echo "$user + $sys" | bc)")
  done
  med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (n + 1) / 2 ))p")
  cmed=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(( (n + 1) / 2 ))p")
  echo "report --format $fmt over 1000 runs: median wall ${med}s, median cpu ${cmed}s (wall: ${times[*]})"
done
export COSIGN_PASSWORD=bench
go run ./bench/keygen "$work/sign"
TIMEFORMAT='%R %U %S'
t=$( { time "$work/pinline" report --runs "$work/runs" --key "$work/runs.pub" -o "$work/out.json" --pack "$work/pack.tgz" --sign-key "$work/sign.key" 2>/dev/null; } 2>&1 )
echo "report --pack over 1000 runs: wall/user/sys $t s, pack $(stat -c %s "$work/pack.tgz") bytes"
go test -run XXX -bench BenchmarkVerifyPack1000 -benchtime 3x ./report/ | grep Benchmark
