#!/usr/bin/env bash
# Gateway benchmarks (issues 5, 14): proxied throughput on loopback (client →
# mTLS gateway → unix sink; and unix → forwarder → gateway → sink) against
# the direct unix-socket anchor, then — when the real engines are
# configured (hack/setup.d/50-gateway-engines.sh) — a small engine run
# directly vs through forwarder + gateway. Prints the median of COUNT runs.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-7}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

out=$(go test -run XXX -bench 'Throughput|DirectUnix' -benchtime 1s -count "$COUNT" ./gateway/)
for b in ProxyThroughput ForwarderThroughput DirectUnix; do
  m=$(echo "$out" | awk -v b="Benchmark$b" '$1 ~ "^"b"-" {for (i=1;i<=NF;i++) if ($(i+1)=="MB/s") print $i}' | median)
  printf '%-22s median %8s MB/s over %s runs\n' "$b" "$m" "$COUNT"
done

# Session placement per gateway replica (issue 14): new sessions per second
# (TLS handshake + preface + placement + engine dial), and the decision alone.
out=$(go test -run XXX -bench 'SessionPlacement|PlacementDecision' -benchtime 1s -count "$COUNT" ./gateway/)
m=$(echo "$out" | awk '$1 ~ /^BenchmarkSessionPlacement-/ {for (i=1;i<=NF;i++) if ($(i+1)=="sessions/s") print $i}' | median)
printf '%-22s median %8s sessions/s over %s runs\n' SessionPlacement "$m" "$COUNT"
m=$(echo "$out" | awk '$1 ~ /^BenchmarkPlacementDecision-/ {print $3}' | median)
printf '%-22s median %8s ns/op over %s runs\n' PlacementDecision "$m" "$COUNT"

if [ -n "${PINLINE_GW_TRUSTED_SOCK:-}" ]; then
  out=$(go test -run XXX -bench RealEngineRun -benchtime 10x -count "${RUNCOUNT:-3}" ./gateway/)
  for b in direct gateway; do
    m=$(echo "$out" | awk -v b="BenchmarkRealEngineRun/$b" '$1 ~ "^"b"-" {print $3}' | median)
    printf 'RealEngineRun/%-8s median %12s ns/op\n' "$b" "$m"
  done
fi
