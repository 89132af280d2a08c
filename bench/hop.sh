#!/usr/bin/env bash
# The light binary's exec hop (issue 12): a heavy command typed as
# `pinline X` starts the light `pinline`, which execs `pinline-full X`.
# Times `pinline run` and `pinline-full run` as whole processes, alternated
# in one loop, on a spec the gate denies (an image without a digest, PL021),
# so the run stops after the gate and its record with no engine involved:
# the difference of the medians is the hop (PINLINE_DAGGER_CLI names no
# CLI: the denied run never starts one). Prints medians of RUNS runs
# (default 21), wall and CPU (user+sys), in milliseconds.
#
#   RUNS=21 bench/hop.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-21}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build_pinline "$work"
mkdir -p "$work/repo"
printf 'version: 1\nname: hop\nimages:\n  bb: busybox:latest\ndefaultImage: bb\ntasks:\n  a:\n    run: ["true"]\n' >"$work/repo/pinline.yaml"
printf '{"engine": {"address": "unix:///nonexistent/pinline-bench/engine.sock"}}\n' >"$work/engine.json"

# time_ms CMD... prints "wall cpu" of one run in milliseconds; the run must
# be denied (exit 1).
time_ms() {
  local TIMEFORMAT='%R %U %S' out code=0
  out=$( { time (cd "$work/repo" && PINLINE_DAGGER_CLI=/nonexistent/dagger "$@" >/dev/null 2>&1); } 2>&1 ) || code=$?
  [ "$code" = 1 ] || { echo "want exit 1 (denied), got $code: $*" >&2; exit 1; }
  awk '{ printf "%.1f %.1f\n", $1 * 1000, ($2 + $3) * 1000 }' <<<"$out"
}
light=(); full=()
for i in $(seq 0 "$RUNS"); do
  a=$(time_ms "$work/pinline" run -f pinline.yaml --engine-config "$work/engine.json")
  b=$(time_ms "$work/pinline-full" run -f pinline.yaml --engine-config "$work/engine.json")
  if [ "$i" -gt 0 ]; then light+=("$a"); full+=("$b"); fi  # run 0 warms the page cache
done
col() { local n=$1; shift; printf '%s\n' "$@" | awk -v n="$n" '{print $n}'; }
lw=$(col 1 "${light[@]}" | median); lc=$(col 2 "${light[@]}" | median)
fw=$(col 1 "${full[@]}" | median); fc=$(col 2 "${full[@]}" | median)
echo "| denied \`run\`, median of $RUNS (2 cores, load $(cut -d' ' -f1 /proc/loadavg)) | wall ms | cpu ms (user+sys) |"
echo "|---|---:|---:|"
echo "| \`pinline run\` (light binary, execs pinline-full) | $lw | $lc |"
echo "| \`pinline-full run\` directly | $fw | $fc |"
echo "| hop (difference of the medians) | $(echo "$lw - $fw" | bc) | $(echo "$lc - $fc" | bc) |"
