#!/usr/bin/env bash
# Batch verification benchmark (issue 3): time `pinline verify --attestations
# DIR` over N attestations (one process pinned to one CPU), and the real
# cosign CLI run once per attestation over a sample; print medians and the
# ratio. Usage: bench/verify-batch.sh [N] [COSIGN_SAMPLE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-5000}
SAMPLE=${2:-20}
RUNS=${3:-5}
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
COSIGN=${PINLINE_COSIGN_BIN:-$PINLINE_CACHE/bin/cosign}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build_pinline "$work"
go build -o "$work/genattest" ./bench/genattest
"$work/genattest" -n "$N" -dir "$work/d"
arts=()
for f in "$work"/d/art/*.bin; do arts+=(--artifact "$f"); done

verify_runs "$RUNS" "$work/pinline.times" "$work/out.txt" taskset -c 0 "$work/pinline" verify --key "$work/d/key.pub" \
  --attestations "$work/d/att" "${arts[@]}" --builder-id https://pinline.dev/builders/trusted --tier trusted
read -r p_wall p_cpu < <(wall_cpu "$work/pinline.times")
echo "pinline verify, $N attestations, $RUNS runs: median wall ${p_wall}s, median cpu ${p_cpu}s"
echo "  => $(echo "$N / $p_wall" | bc) attestations/s wall, $(echo "$N / $p_cpu" | bc) attestations/cpu-s"

if [ ! -x "$COSIGN" ]; then echo "cosign not found at $COSIGN; skipping the ratio"; exit 0; fi
export HOME=$work/home TUF_ROOT=$work/home/.sigstore
mkdir -p "$HOME"
TIMEFORMAT='%R %U %S'
: > "$work/cosign.times"
for i in $(seq 0 $((SAMPLE - 1))); do
  id=$(printf '%06d' "$i")
  { time "$COSIGN" verify-blob-attestation --key "$work/d/key.pub" --signature "$work/d/att/a$id.intoto.json" \
      --type slsaprovenance1 --insecure-ignore-tlog "$work/d/art/a$id.bin" > /dev/null 2>&1; } 2>> "$work/cosign.times"
done
read -r c_wall c_cpu < <(wall_cpu "$work/cosign.times")
echo "cosign verify-blob-attestation, once per attestation, $SAMPLE samples: median wall ${c_wall}s, cpu ${c_cpu}s per attestation"
echo "ratio (cosign per attestation / pinline per attestation): wall $(echo "$c_wall * $N / $p_wall" | bc) x, cpu $(echo "$c_cpu * $N / $p_cpu" | bc) x"
