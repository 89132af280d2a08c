#!/usr/bin/env bash
# Gate benchmarks (issue 2): pinline check on a typical repository, on a
# generated monorepo (1,000 dagger.json + 5,000 module source files), and
# pinline check vs conftest v0.66.0 ($PINLINE_CONFTEST_BIN, else built by
# hack/tools.sh conftest) with an equivalent Rego rule on the same 1,000
# dagger.json files. Prints medians of RUNS runs (default 7) as Markdown.
#
#   bench/conftest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
PINLINE_CONFTEST_BIN=${PINLINE_CONFTEST_BIN:-$(hack/tools.sh conftest)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -trimpath -o "$work/" ./cmd/pinline ./cmd/pinline-full
go run ./bench/genmonorepo -o "$work/mono" -modules 1000 -files 5000 >/dev/null
go run ./bench/genmonorepo -o "$work/json" -json-only -modules 1000 >/dev/null
mapfile -t jsonfiles < <(cd "$work/json" && find . -name dagger.json | sort)

# time_ms DIR CMD... prints "wall cpu" of one run in milliseconds (cpu is
# user+sys of the process); the exit code is ignored (both tools deny these
# repositories on purpose).
time_ms() {
  local dir=$1; shift
  local TIMEFORMAT='%R %U %S' out
  out=$( { time (cd "$dir" && "$@" >/dev/null 2>&1) ; } 2>&1 ) || true
  awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' <<<"$out"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }
# col N LIST... picks field N (1 wall, 2 cpu) of "wall cpu" pairs.
col() { local n=$1; shift; printf '%s\n' "$@" | awk -v n="$n" '{print $n}'; }

# Sanity: both tools must find the unpinned dependencies, or the
# comparison is meaningless.
if (cd "$work/json" && "$work/pinline" check >/dev/null 2>&1); then echo "pinline allowed the monorepo" >&2; exit 1; fi
if (cd "$work/json" && "$PINLINE_CONFTEST_BIN" test --no-color -p "$OLDPWD/bench/conftest/policy" "${jsonfiles[@]}" >/dev/null 2>&1); then
  echo "conftest found nothing" >&2; exit 1
fi
pfind=$(cd "$work/json" && "$work/pinline" check --format json 2>/dev/null | grep -c '"ruleId": "PL001"' || true)
cfind=$(cd "$work/json" && "$PINLINE_CONFTEST_BIN" test --no-color -o json -p "$OLDPWD/bench/conftest/policy" "${jsonfiles[@]}" | grep -c '"msg"' || true)

typ=() mono=() pc=() cc=()
for _ in $(seq "$RUNS"); do
  typ+=("$(time_ms testdata/repos/clean "$work/pinline" check)")
  mono+=("$(time_ms "$work/mono" "$work/pinline" check)")
  pc+=("$(time_ms "$work/json" "$work/pinline" check)")
  cc+=("$(time_ms "$work/json" "$PINLINE_CONFTEST_BIN" test --no-color -p "$PWD/bench/conftest/policy" "${jsonfiles[@]}")")
done
row() { # label name-of-array
  local -n a=$2
  local w c
  w=$(col 1 "${a[@]}" | median); c=$(col 2 "${a[@]}" | median)
  echo "| $1 | $w | $c | $(col 1 "${a[@]}" | tr '\n' ' ')|"
}
wp=$(col 1 "${pc[@]}" | median); wc=$(col 1 "${cc[@]}" | median)
cp=$(col 2 "${pc[@]}" | median); ccpu=$(col 2 "${cc[@]}" | median)
ratio() { awk -v c="$1" -v p="$2" 'BEGIN { printf "%.1f", (p > 0 ? c / p : 0) }'; }

cat <<MD
| measurement (median of $RUNS runs, $(nproc) cores) | wall ms | cpu ms (user+sys) | wall ms of each run |
|---|---:|---:|---|
$(row '`pinline check` typical repo (testdata/repos/clean)' typ)
$(row '`pinline check` monorepo (internal/monorepo: 1,000 dagger.json + 5,000 Go/Python/TS files)' mono)
$(row "\`pinline check\` 1,000 dagger.json (all 14 default rules; $pfind PL001 findings)" pc)
$(row "\`conftest test\` same 1,000 dagger.json (one PL001-equivalent rule; $cfind findings)" cc)
| ratio conftest / pinline on the 1,000 dagger.json | $(ratio "$wc" "$wp")x | $(ratio "$ccpu" "$cp")x | |
MD
