#!/usr/bin/env bash
# The gate against conftest on real files (issue 12): `pinline check` and
# `conftest test` v0.66.0 ($PINLINE_CONFTEST_BIN, else built by hack/tools.sh
# conftest) with the one-rule policy of bench/conftest/policy (deny
# unpinned dependencies), both as whole processes, alternated in one loop on
# the same copy of the 112 real dagger.json files of $PINLINE_CORPUS (default
# /work/shared/corpus/dagger-json; read, never committed). Prints medians of
# RUNS runs (default 15) and the package-initialisation time of the pinline
# binary (GODEBUG=inittrace=1, sum over packages, median) as Markdown.
#
#   bench/corpus.sh            # or PINLINE_BIN=path/to/pinline bench/corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
CORPUS=${PINLINE_CORPUS:-/work/shared/corpus/dagger-json}
PINLINE_CONFTEST_BIN=${PINLINE_CONFTEST_BIN:-$(hack/tools.sh conftest)}
policy=$PWD/bench/conftest/policy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pinline=${PINLINE_BIN:-}
if [ -z "$pinline" ]; then
  go build -trimpath -o "$work/" ./cmd/pinline ./cmd/pinline-full
  pinline=$work/pinline
fi

# One directory per corpus file (owner__repo__path__dagger.json →
# owner__repo__path/dagger.json): pinline walks the tree, conftest is given
# the same files.
mkdir -p "$work/corpus"
for f in "$CORPUS"/*dagger.json; do
  d=$work/corpus/$(basename "${f%__dagger.json}")
  mkdir -p "$d" && cp "$f" "$d/dagger.json"
done
mapfile -t files < <(cd "$work/corpus" && find . -name dagger.json | sort)
[ "${#files[@]}" -gt 0 ] || { echo "no dagger.json under $CORPUS" >&2; exit 1; }

# Sanity: both tools must deny the corpus for the same unpinned
# dependencies, or the comparison is meaningless.
if (cd "$work/corpus" && "$pinline" check >/dev/null 2>&1); then echo "pinline allowed the corpus" >&2; exit 1; fi
if (cd "$work/corpus" && "$PINLINE_CONFTEST_BIN" test --no-color -p "$policy" "${files[@]}" >/dev/null 2>&1); then
  echo "conftest found nothing" >&2; exit 1
fi
pfind=$(cd "$work/corpus" && "$pinline" check --format json 2>/dev/null | grep -c '"ruleId": "PL001"' || true)
cfind=$(cd "$work/corpus" && "$PINLINE_CONFTEST_BIN" test --no-color -o json -p "$policy" "${files[@]}" 2>/dev/null | grep -c '"msg"' || true)

# time_ms CMD... prints "wall cpu" of one run in milliseconds in the corpus
# (cpu is user+sys); the exit code is ignored (both deny on purpose).
time_ms() {
  local TIMEFORMAT='%R %U %S' out
  out=$( { time (cd "$work/corpus" && "$@" >/dev/null 2>&1) ; } 2>&1 ) || true
  awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' <<<"$out"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col() { local n=$1; shift; printf '%s\n' "$@" | awk -v n="$n" '{print $n}'; }
# init_ms: package initialisation of one `pinline check`, summed over
# packages from GODEBUG=inittrace=1.
init_ms() {
  { (cd "$work/corpus" && GODEBUG=inittrace=1 "$pinline" check 2>&1 >/dev/null) || true; } |
    awk '/^init /{s += $5} END {printf "%.1f\n", s}'
}

pc=() cc=() it=()
for _ in $(seq "$RUNS"); do
  pc+=("$(time_ms "$pinline" check)")
  cc+=("$(time_ms "$PINLINE_CONFTEST_BIN" test --no-color -p "$policy" "${files[@]}")")
  it+=("$(init_ms)")
done
wp=$(col 1 "${pc[@]}" | median); wc=$(col 1 "${cc[@]}" | median)
cp=$(col 2 "${pc[@]}" | median); ccpu=$(col 2 "${cc[@]}" | median)
ratio() { awk -v c="$1" -v p="$2" 'BEGIN { printf "%.1f", (p > 0 ? c / p : 0) }'; }
size=$(( $(stat -c %s "$pinline") / 1000000 ))

cat <<MD
| measurement (median of $RUNS runs, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)) | wall ms | cpu ms (user+sys) |
|---|---:|---:|
| \`pinline check\` on ${#files[@]} real dagger.json (all default rules; $pfind PL001 findings; ${size} MB binary) | $wp | $cp |
| \`conftest test\` same files (one PL001-equivalent rule; $cfind findings) | $wc | $ccpu |
| **ratio conftest / pinline** | **$(ratio "$wc" "$wp")×** | **$(ratio "$ccpu" "$cp")×** |
| package initialisation of \`pinline check\` (GODEBUG=inittrace=1, sum) | $(printf '%s\n' "${it[@]}" | median) | |
MD
