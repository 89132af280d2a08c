#!/usr/bin/env bash
# bench/exec.sh - execution overhead of `pinline run` against the same
# pipeline written as a bare Dagger SDK program (bench/exec/bare), on a warm
# engine. Each iteration uses a fresh nonce so the engine really executes.
# Both sides are timed as whole processes (connect, run, export, exit).
#
#   bench/exec.sh [N]     (default N=9; needs hack/engine.sh start and hack/registry.sh start)
#
# `pinline run` goes through the light `pinline` binary, which execs
# `pinline-full` (docs/architecture.md). FULL=1 also times `pinline-full run`
# directly in the same loop, so the exec hop shows side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-9}
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false}
eval "$(hack/engine.sh env)"
eval "$(hack/registry.sh env)"
export PINLINE_DAGGER_CLI _EXPERIMENTAL_DAGGER_RUNNER_HOST _EXPERIMENTAL_DAGGER_CLI_BIN
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
go build -o "$W/" ./cmd/pinline ./cmd/pinline-full
go build -o "$W/bare" ./bench/exec/bare
printf '{"engine": {"address": "unix://%s"}}\n' "$PINLINE_ENGINE_SOCK" >"$W/engine.json"
mkdir -p "$W/repo"
spec() { # nonce
  cat >"$W/repo/pinline.yaml" <<YAML
version: 1
name: bench
images:
  bb: $PINLINE_IMAGE_BUSYBOX
defaultImage: bb
concurrency: 2
tasks:
  gen:
    env: {N: "$1"}
    sh: 'mkdir -p /o && echo "\$N" > /o/data && seq 1 20000 >> /o/data'
  sum:
    from: gen
    sh: 'sha256sum /o/data'
    outputs: [{path: /o/data}]
  lint:
    env: {N: "$1"}
    sh: 'echo "lint \$N"; seq 1 5000 | wc -l'
YAML
}
now() { date +%s.%N; }
FULL=${FULL:-0}
t_pl=(); t_bare=(); t_full=()
for i in $(seq 0 "$N"); do
  n="$(date +%s%N)-$i"
  spec "$n"
  a=$(now); "$W/pinline" run -f "$W/repo/pinline.yaml" --engine-config "$W/engine.json" >/dev/null; b=$(now)
  "$W/bare" -image "$PINLINE_IMAGE_BUSYBOX" -nonce "b$n" -out "$W/bare.out"; c=$(now)
  if [ "$FULL" = 1 ]; then
    spec "f$n"
    "$W/pinline-full" run -f "$W/repo/pinline.yaml" --engine-config "$W/engine.json" >/dev/null; d=$(now)
  fi
  if [ "$i" -gt 0 ]; then  # iteration 0 warms every side up
    t_pl+=("$(echo "$b - $a" | bc)"); t_bare+=("$(echo "$c - $b" | bc)")
    if [ "$FULL" = 1 ]; then t_full+=("$(echo "$d - $c" | bc)"); fi
  fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
mp=$(median "${t_pl[@]}"); mb=$(median "${t_bare[@]}")
echo "runs:          $N (after 1 warm-up each)"
echo "bare SDK:      median ${mb}s  (${t_bare[*]})"
echo "pinline run:   median ${mp}s  (${t_pl[*]})"
if [ "$FULL" = 1 ]; then
  mf=$(median "${t_full[@]}")
  echo "pinline-full run (direct, no light hop): median ${mf}s  (${t_full[*]})"
  echo "hop (median pinline - median pinline-full): $(echo "$mp - $mf" | bc)s"
  echo "ratio of medians, pinline-full / bare: $(echo "scale=3; $mf / $mb" | bc)"
fi
ratios=(); for k in "${!t_pl[@]}"; do ratios+=("$(echo "scale=4; ${t_pl[$k]} / ${t_bare[$k]}" | bc)"); done
minp=$(printf '%s\n' "${t_pl[@]}" | sort -n | head -1); minb=$(printf '%s\n' "${t_bare[@]}" | sort -n | head -1)
echo "ratio of medians:        $(echo "scale=3; $mp / $mb" | bc)"
echo "median of paired ratios: $(median "${ratios[@]}")"
echo "ratio of minimums:       $(echo "scale=3; $minp / $minb" | bc)  (pinline ${minp}s, bare ${minb}s)"
echo "load average:            $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
