#!/usr/bin/env bash
# bench/serve.sh - the control plane's overhead (issue 13): a server-side
# run (gate + execute + SBOM + sign with the tier key + record) against the
# same pipeline as a bare Dagger SDK program (bench/exec/bare) on the same
# warm engine (gw-trusted, hack/setup.d/50-gateway-engines.sh), and the
# `submit` round trip for a run the engine has cached. Prints each
# benchmark's per-invocation medians and their median over COUNT runs.
#
#   bench/serve.sh            (COUNT=3, N=7 iterations per invocation)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-3}
N=${N:-7}
[ -n "${PINLINE_GW_TRUSTED_SOCK:-}" ] || { echo "bench/serve.sh: load the test environment (PINLINE_GW_TRUSTED_SOCK)" >&2; exit 2; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
out=$(go test -run XXX -bench 'ServeVsBare|SubmitCached' -benchtime "${N}x" -count "$COUNT" ./serve/)
echo "$out" | grep '^Benchmark'
for m in serve-ms bare-ms ratio; do
  v=$(echo "$out" | awk -v m="$m" '$1 ~ /^BenchmarkServeVsBare/ {for (i=1;i<=NF;i++) if ($(i+1)==m) print $i}' | median)
  printf 'ServeVsBare   %-14s median %s over %s invocations\n' "$m" "$v" "$COUNT"
done
for m in to-done-ms round-trip-ms; do
  v=$(echo "$out" | awk -v m="$m" '$1 ~ /^BenchmarkSubmitCached/ {for (i=1;i<=NF;i++) if ($(i+1)==m) print $i}' | median)
  printf 'SubmitCached  %-14s median %s over %s invocations\n' "$m" "$v" "$COUNT"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
