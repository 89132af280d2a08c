#!/usr/bin/env bash
# Gate benchmarks (issue 2): pinline check on a typical repository, on a
# generated monorepo (1,000 dagger.json + 5,000 module source files), and
# pinline check vs conftest v0.66.0 ($PINLINE_CONFTEST_BIN, built by
# hack/setup.d/10-tools.sh) with an equivalent Rego rule on the same 1,000
# dagger.json files. Prints medians of RUNS runs (default 7) as Markdown.
#
#   PINLINE_CONFTEST_BIN=~/.cache/pinline/bin/conftest bench/conftest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
: "${PINLINE_CONFTEST_BIN:?set PINLINE_CONFTEST_BIN (hack/setup.d/10-tools.sh builds conftest)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -trimpath -o "$work/pinline" ./cmd/pinline
go run ./bench/monorepo/gen -dir "$work/mono" -modules 1000 -sources 5 >/dev/null
go run ./bench/monorepo/gen -dir "$work/json" -modules 1000 -sources 0 >/dev/null
mapfile -t jsonfiles < <(cd "$work/json" && find . -name dagger.json | sort)

# time_ms DIR CMD... prints the wall time of one run in milliseconds; the
# exit code is ignored (both tools deny these repositories on purpose).
time_ms() {
  local dir=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  (cd "$dir" && "$@" >/dev/null 2>&1) || true
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

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
mt=$(printf '%s\n' "${typ[@]}" | median)
mm=$(printf '%s\n' "${mono[@]}" | median)
mp=$(printf '%s\n' "${pc[@]}" | median)
mc=$(printf '%s\n' "${cc[@]}" | median)
ratio=$(awk -v c="$mc" -v p="$mp" 'BEGIN { printf "%.1f", (p > 0 ? c / p : 0) }')

cat <<MD
| measurement (median of $RUNS runs, wall clock, $(nproc) cores) | ms | runs |
|---|---:|---|
| \`pinline check\` typical repo (testdata/repos/clean) | $mt | ${typ[*]} |
| \`pinline check\` monorepo, 1,000 dagger.json + 5,000 .go | $mm | ${mono[*]} |
| \`pinline check\` 1,000 dagger.json (all 14 default rules; $pfind PL001 findings) | $mp | ${pc[*]} |
| \`conftest test\` same 1,000 dagger.json (one PL001-equivalent rule; $cfind findings) | $mc | ${cc[*]} |
| ratio conftest / pinline | ${ratio}x | |
MD
