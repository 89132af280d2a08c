#!/usr/bin/env bash
# bench/call.sh - `pinline call` against `dagger call` of the same Go SDK
# module function on the warm module engine (hack/setup.d/60-module-engine.sh),
# without signing, and the cold first call (a module source never seen by the
# engine: a fresh nonce in its code). Both sides are timed as whole processes,
# alternating, in one run: `hello` (no argument) and `read --src ./data` (a
# directory argument of the repository: pinline also hashes it and takes the
# directory-argument lock, pipeline/calllock.go).
#
#   bench/call.sh [N]     (default N=9)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-9}
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false} DO_NOT_TRACK=1 DAGGER_NO_NAG=1
SOCK=${PINLINE_MODULE_ENGINE_SOCK:-$PINLINE_CACHE/engine/instances/modules/run/engine.sock}
CLI=${PINLINE_MODULE_DAGGER_CLI:-$PINLINE_CACHE/engine/bin/dagger}
[ -S "$SOCK" ] || { echo "no module engine at $SOCK: run hack/setup.d/60-module-engine.sh" >&2; exit 3; }
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
go build -o "$W/" ./cmd/pinline ./cmd/pinline-full
printf '{"engine": {"address": "unix://%s"}}\n' "$SOCK" >"$W/engine.json"
R=$W/repo; mkdir -p "$R/ci"
nonce="$(date +%s%N)"
printf '{"name": "bench", "engineVersion": "v0.19.10", "sdk": {"source": "go"}}\n' >"$R/ci/dagger.json"
cat >"$R/ci/main.go" <<GO
package main

import (
	"context"

	"dagger/bench/internal/dagger"
)

type Bench struct{}

// Hello returns a constant ($nonce).
func (m *Bench) Hello() string { return "hello $nonce" }

// Read returns in.txt of a directory argument.
func (m *Bench) Read(ctx context.Context, src *dagger.Directory) (string, error) {
	return src.File("in.txt").Contents(ctx)
}
GO
mkdir -p "$R/data"; echo "data $nonce" >"$R/data/in.txt"
(cd "$R" && git init -q && git add -A && git -c user.email=b@b -c user.name=b commit -qm bench)
export PINLINE_DAGGER_CLI=$CLI
now() { date +%s.%N; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
a=$(now); "$W/pinline" call --root "$R" --engine-config "$W/engine.json" -m ci hello >/dev/null 2>&1; b=$(now)
cold=$(echo "$b - $a" | bc)
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# bench NAME ARGS...: N alternating pairs after one warm-up pair.
bench() {
  local name=$1; shift
  local t_pl=() t_dg=() i a b c
  for i in $(seq 0 "$N"); do
    a=$(now); "$W/pinline" call --root "$R" --engine-config "$W/engine.json" -m ci "$@" >/dev/null 2>&1 || { echo "pinline call $* failed" >&2; exit 1; }; b=$(now)
    (cd "$R" && _EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://$SOCK "$CLI" call -m ci "$@" >/dev/null 2>&1) || { echo "dagger call $* failed" >&2; exit 1; }; c=$(now)
    if [ "$i" -gt 0 ]; then  # iteration 0 warms both up
      t_pl+=("$(echo "$b - $a" | bc)"); t_dg+=("$(echo "$c - $b" | bc)")
    fi
  done
  local mp md
  mp=$(median "${t_pl[@]}"); md=$(median "${t_dg[@]}")
  echo "$name:"
  echo "  dagger call:    median ${md}s  (${t_dg[*]})"
  echo "  pinline call:   median ${mp}s  (${t_pl[*]})"
  echo "  overhead:       $(echo "$mp - $md" | bc)s, ratio $(echo "scale=3; $mp / $md" | bc) (target: <= max(5 %, 30 ms))"
}
echo "cold first call:  ${cold}s (pinline call, module never built on this engine)"
echo "runs:             $N warm pairs each (after 1 warm-up pair)"
bench "hello" hello
bench "read --src ./data" read --src ./data
echo "load:             $load0 at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
