#!/usr/bin/env bash
# bench/call.sh - `pinline call` against `dagger call` of the same Go SDK
# module function on the warm module engine (hack/setup.d/60-module-engine.sh),
# without signing, and the cold first call (a module source never seen by the
# engine: a fresh nonce in its code). Both sides are timed as whole processes,
# alternating (the order rotating every round), in one run: `hello` (no
# argument) and `read --src ./data` (a directory argument of the repository:
# pinline also hashes it and takes the directory-argument lock,
# pipeline/calllock.go).
#
#   bench/call.sh [N]     (default N=9)
#   BASE=REV bench/call.sh [N]
#                         also times the pinline of git revision REV in the
#                         same loop (before/after side by side, one run)
#
# pinline caches the module's resolution per engine (pipeline/callcache.go);
# the warm-up round fills it, as a user's first call does. With NOCACHE=1
# every call asks the engine: the entries written since the bench started
# are removed before each pinline call (the locks stay where they are).
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
if [ -n "${BASE:-}" ]; then
  git worktree add -q --detach "$W/base-src" "$BASE"
  (cd "$W/base-src" && go build -o "$W/base/" ./cmd/pinline ./cmd/pinline-full)
  git worktree remove --force "$W/base-src"
fi
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
a=$(now); XDG_CACHE_HOME=$W/xdg-cold "$W/pinline" call --root "$R" --engine-config "$W/engine.json" -m ci hello >/dev/null 2>&1; b=$(now)
cold=$(echo "$b - $a" | bc)
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
RESCACHE=${XDG_CACHE_HOME:-$HOME/.cache}/pinline/callresolve
touch "$W/stamp"
# pl BIN ARGS...: one pinline call (NOCACHE=1: without the entries of this run).
pl() {
  local bin=$1; shift
  if [ -n "${NOCACHE:-}" ] && [ -d "$RESCACHE" ]; then find "$RESCACHE" -type f -newer "$W/stamp" -delete; fi
  "$bin" call --root "$R" --engine-config "$W/engine.json" -m ci "$@" >/dev/null 2>&1
}
report() { # report LABEL "ANCHOR TIMES" TIMES...: medians and the median of the paired differences
  local label=$1; shift
  local -a dg=($1); shift
  local m md i diffs=()
  m=$(median "$@"); md=$(median "${dg[@]}")
  for i in "${!dg[@]}"; do diffs+=("$(echo "${@:$((i + 1)):1} - ${dg[$i]}" | bc)"); done
  echo "  $label median ${m}s  ($*)"
  echo "                    overhead $(echo "$m - $md" | bc)s, ratio $(echo "scale=3; $m / $md" | bc); median of paired differences $(median "${diffs[@]}")s (target: <= max(5 %, 30 ms))"
}
# bench NAME ARGS...: N alternating rounds after one warm-up round.
bench() {
  local name=$1; shift
  local t_pl=() t_dg=() t_base=() i a b
  for i in $(seq 0 "$N"); do
    # The order rotates every round (pinline, dagger, base; dagger, base,
    # pinline; ...): none of them always runs first or after the same one.
    local order=(pl dg base) k x t
    [ -n "${BASE:-}" ] || order=(pl dg)
    for k in $(seq 0 $((${#order[@]} - 1))); do
      x=${order[$(((i + k) % ${#order[@]}))]}
      a=$(now)
      case $x in
        pl) pl "$W/pinline" "$@" || { echo "pinline call $* failed" >&2; exit 1; } ;;
        dg) (cd "$R" && _EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://$SOCK "$CLI" call -m ci "$@" >/dev/null 2>&1) || { echo "dagger call $* failed" >&2; exit 1; } ;;
        base) pl "$W/base/pinline" "$@" || { echo "base pinline call $* failed" >&2; exit 1; } ;;
      esac
      b=$(now); t=$(echo "$b - $a" | bc)
      if [ "$i" -gt 0 ]; then  # round 0 warms them up
        case $x in pl) t_pl+=("$t") ;; dg) t_dg+=("$t") ;; base) t_base+=("$t") ;; esac
      fi
    done
  done
  local md; md=$(median "${t_dg[@]}")
  echo "$name:"
  echo "  dagger call:      median ${md}s  (${t_dg[*]})"
  report "pinline call:    " "${t_dg[*]}" "${t_pl[@]}"
  [ -z "${BASE:-}" ] || report "pinline $BASE:" "${t_dg[*]}" "${t_base[@]}"
}
echo "cold first call:  ${cold}s (pinline call, module never built on this engine)"
echo "runs:             $N warm rounds each (after 1 warm-up round)${BASE:+, with pinline $BASE}${NOCACHE:+, empty resolution cache every call}"
bench "hello" hello
bench "read --src ./data" read --src ./data
echo "load:             $load0 at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
