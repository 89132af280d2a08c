#!/usr/bin/env bash
# bench/snippets.sh - `pinline exec`: N Python snippets as one --batch (one
# engine session, --concurrency $J, default 4) against N separate `pinline exec`
# processes (one session each; run one after another and 4 at a time), then
# the first run of a fresh snippet in every preset (image already on the
# engine: compile and run, no cache hit). Fresh nonces in every snippet, so
# the engine really runs each one.
#
#   bench/snippets.sh [N] [ROUNDS]   (default 100 snippets, 3 rounds; needs the
#                                     default engine and hack/setup.d/45-presets.sh)
#   SEQUENTIAL=0 skips the one-after-another processes (the slowest part).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
ROUNDS=${2:-3}
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false}
eval "$(hack/engine.sh env)"
export PINLINE_DAGGER_CLI
LOCK=${PINLINE_EXEC_PRESETS:-$PINLINE_CACHE/presets/presets.lock.json}
[ -s "$LOCK" ] || { echo "no presets lock at $LOCK: run hack/setup.d/45-presets.sh" >&2; exit 3; }
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
go build -o "$W/" ./cmd/pinline ./cmd/pinline-full  # pinline execs pinline-full for exec
printf '{"engine": {"address": "unix://%s"}}\n' "$PINLINE_ENGINE_SOCK" >"$W/engine.json"
X=("$W/pinline" exec --engine-config "$W/engine.json" --presets "$LOCK" --cache-dir "$W/cache" --runs-dir "$W/runs")
J=${J:-4}
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# CPU seconds (user+sys, with reaped children) of this script, i.e. of the
# pinline and dagger processes it ran, and of the engine (its containers
# included; other clients of the same engine count too).
EPID=$(cat "$(dirname "$(dirname "$PINLINE_ENGINE_SOCK")")/engine.pid" 2>/dev/null || echo 0)
ticks() { awk '{print $14+$15+$16+$17}' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
mark() { c0=$(ticks $$); e0=$(ticks "$EPID"); t0=$(now); }
took() { # file: appends "ms client-cpu-s engine-cpu-s"
  t1=$(now)
  echo "$(ms "$t0" "$t1") $(awk -v a="$(ticks $$)" -v b="$c0" -v h="$HZ" 'BEGIN{printf "%.1f", (a-b)/h}') $(awk -v a="$(ticks "$EPID")" -v b="$e0" -v h="$HZ" 'BEGIN{printf "%.1f", (a-b)/h}')" >>"$1"
}

: >"$W/batch.ms"; : >"$W/seq.ms"; : >"$W/par.ms"
for r in $(seq 1 "$ROUNDS"); do
  n=$(now)
  for i in $(seq 1 "$N"); do
    printf '{"lang":"python","code":"print(%d, \\"%s-b\\")"}\n' "$i" "$n"
    printf 'print(%d, "%s-s")\n' "$i" "$n" >"$W/s$i.py"
    printf 'print(%d, "%s-p")\n' "$i" "$n" >"$W/p$i.py"
  done >"$W/batch.jsonl"
  mark; "${X[@]}" --batch "$W/batch.jsonl" -j "$J" >"$W/batch.out"; took "$W/batch.ms"
  [ "$(grep -c '"success":true' "$W/batch.out")" = "$N" ] || { echo "batch: not all succeeded" >&2; exit 1; }
  if [ "${SEQUENTIAL:-1}" = 1 ]; then
    mark; for i in $(seq 1 "$N"); do "${X[@]}" --lang python "$W/s$i.py" >/dev/null; done; took "$W/seq.ms"
  else
    echo "0 0 0" >>"$W/seq.ms"
  fi
  mark; seq 1 "$N" | xargs -P 4 -I{} "${X[@]}" --lang python "$W/p{}.py" >/dev/null; took "$W/par.ms"
  echo "round $r (ms, client CPU s, engine CPU s): batch $(tail -1 "$W/batch.ms"); processes sequential $(tail -1 "$W/seq.ms"); 4 at a time $(tail -1 "$W/par.ms") (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
col() { cut -d' ' -f"$1" "$2" | median; }
b=$(col 1 "$W/batch.ms"); s=$(col 1 "$W/seq.ms"); p=$(col 1 "$W/par.ms")
echo "$N python snippets, median of $ROUNDS: batch -j$J ${b} ms; separate processes ${s} ms sequential ($(awk -v a="$s" -v b="$b" 'BEGIN{printf "%.1f", a/b}')x the batch), ${p} ms 4 at a time ($(awk -v a="$p" -v b="$b" 'BEGIN{printf "%.1f", a/b}')x)"
echo "median CPU s (client / engine): batch $(col 2 "$W/batch.ms") / $(col 3 "$W/batch.ms"); sequential $(col 2 "$W/seq.ms") / $(col 3 "$W/seq.ms"); 4 at a time $(col 2 "$W/par.ms") / $(col 3 "$W/par.ms")"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); run records written: $(ls "$W/runs" | wc -l)"

echo "first run of a fresh snippet per preset (ms, one process each):"
declare -A HELLO=(
  [bash]='echo hello'
  [python]='print("hello")'
  [ruby]='puts "hello"'
  [perl]='print "hello\n";'
  [php]='<?php echo "hello\n";'
  [javascript]='console.log("hello")'
  [typescript]='const m: string = "hello"; console.log(m)'
  [go]='package main
import "fmt"
func main() { fmt.Println("hello") }'
  [rust]='fn main() { println!("hello"); }'
  [java]='public class Main { public static void main(String[] a) { System.out.println("hello"); } }'
)
for p in bash python ruby perl php javascript typescript go rust java; do
  n=$(now)
  printf '%s\n%s\n' "${HELLO[$p]}" "$(case $p in bash|python|ruby|perl) echo "# $n";; php) echo "// $n";; *) echo "// $n";; esac)" >"$W/h.$p"
  t0=$(now); "${X[@]}" --lang "$p" "$W/h.$p" >/dev/null; t1=$(now)
  echo "  $p $(ms "$t0" "$t1")"
done
