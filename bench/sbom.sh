#!/usr/bin/env bash
# Benchmarks for issue 8 (SBOM): hashing a 1 GiB file, the SBOM of a Go
# binary (crane, ~17 MB, ~40 modules; and the toolchain's compile, ~25 MB)
# against syft, and a BOM with 10,000 components. Medians of N runs.
# Usage: bench/sbom.sh [N]   (N defaults to 5)
# Needs syft (PINLINE_SYFT_BIN, or $PINLINE_CACHE/bin/syft from
# hack/setup.d/10-tools.sh); crane is built once from tools/cosign.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
syft=${PINLINE_SYFT_BIN:-$PINLINE_CACHE/bin/syft}
crane=$PINLINE_CACHE/bench/crane
if [ ! -x "$crane" ]; then
  mkdir -p "$(dirname "$crane")"
  (cd tools/cosign && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$crane" github.com/google/go-containerregistry/cmd/crane)
fi
compile=$(go env GOTOOLDIR)/compile
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -n | sed -n "$(( (n + 1) / 2 ))p"; }
benchmed() { # benchmark-name metric-column-label : median of ns/op and cpu-ms/op
  awk -v name="$1" 'index($1, name) > 0 {for (i = 2; i <= NF; i++) { if ($(i+1) == "ns/op") ns = $i; if ($(i+1) == "cpu-ms/op") cpu = $i; if ($(i+1) == "MB/s") mbs = $i }; print ns, cpu, mbs}' |
    sort -n | sed -n "$(( (n + 1) / 2 ))p"
}

hashfile=$(mktemp)
trap 'rm -f "$hashfile"' EXIT
head -c 1073741824 /dev/urandom > "$hashfile"
out=$(PINLINE_BENCH_HASHFILE=$hashfile go test -run '^$' -bench 'BenchmarkHash$' -benchtime 3x -count "$n" ./sbom)
for b in pinline-sha256+sha512 pinline-sha256-skip512 sha256-only multiwriter-sha256+sha512; do
  read -r ns cpu mbs <<<"$(benchmed "Hash/$b-" <<<"$out")"
  echo "hash 1 GiB $b: median ${mbs} MB/s ($(echo "scale=1; $ns / 1000000" | bc) ms, cpu ${cpu} ms)"
done

for bin in "$crane" "$compile"; do
  out=$(PINLINE_BENCH_GOBIN=$bin go test -run '^$' -bench 'BenchmarkGoBinarySBOM' -benchtime 5x -count "$n" ./sbom)
  read -r ns cpu _ <<<"$(benchmed GoBinarySBOM <<<"$out")"
  mods=$(grep -o '[0-9.]* modules' <<<"$out" | head -1)
  echo "pinline SBOM of $(basename "$bin") ($(stat -c %s "$bin") bytes, $mods): median $(echo "scale=1; $ns / 1000000" | bc) ms (cpu ${cpu} ms)"
  if [ -x "$syft" ]; then
    walls=() cpus=()
    for _ in $(seq "$n"); do
      TIMEFORMAT='%R %U %S'
      t=$( { time SYFT_CHECK_FOR_APP_UPDATE=false "$syft" scan "file:$bin" -o cyclonedx-json -q >/dev/null 2>&1; } 2>&1 )
      read -r real user sys <<<"$t"
      walls+=("$real") cpus+=("$(echo "$user + $sys" | bc)")
    done
    echo "syft SBOM of $(basename "$bin"): median $(printf '%s\n' "${walls[@]}" | median) s (cpu $(printf '%s\n' "${cpus[@]}" | median) s; wall ${walls[*]})"
  fi
done

out=$(go test -run '^$' -bench 'BenchmarkLargeBOM' -benchtime 3x -count "$n" ./sbom)
read -r ns cpu _ <<<"$(benchmed LargeBOM <<<"$out")"
echo "BOM with 10,000 components (build + JSON): median $(echo "scale=1; $ns / 1000000" | bc) ms (cpu ${cpu} ms)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
