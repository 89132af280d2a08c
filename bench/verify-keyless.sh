#!/usr/bin/env bash
# Keyless verification benchmark (issue 15): time `pinline verify
# --attestations DIR --trusted-root ...` over N generated keyless bundles (one
# process pinned to one CPU), and the cosign CLI (verify-blob-attestation
# --bundle --trusted-root, the same identity) run once per bundle over a
# sample; print medians and the ratio. Usage: bench/verify-keyless.sh [N]
# [COSIGN_SAMPLE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-2000}
SAMPLE=${2:-20}
RUNS=${3:-5}
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
COSIGN=${PINLINE_COSIGN_BIN:-$PINLINE_CACHE/bin/cosign}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build_pinline "$work"
go build -o "$work/genkeyless" ./bench/genkeyless
"$work/genkeyless" -n "$N" -dir "$work/d"
id=(--certificate-identity https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1
  --certificate-oidc-issuer https://token.actions.githubusercontent.com)

verify_runs "$RUNS" "$work/pinline.times" "$work/out.txt" taskset -c 0 "$work/pinline" verify --trusted-root "$work/d/trusted_root.json" \
  "${id[@]}" --attestations "$work/d/att" --artifact "$work/d/app" --source-uri github.com/acme/app --source-ref refs/tags/v1
read -r p_wall p_cpu < <(wall_cpu "$work/pinline.times")
echo "pinline verify, $N keyless bundles, $RUNS runs: median wall ${p_wall}s, median cpu ${p_cpu}s"
echo "  => $(echo "$N / $p_wall" | bc) bundles/s wall, $(echo "$N / $p_cpu" | bc) bundles/cpu-s"

if [ ! -x "$COSIGN" ]; then echo "cosign not found at $COSIGN; skipping the ratio"; exit 0; fi
export HOME=$work/home TUF_ROOT=$work/home/.sigstore
mkdir -p "$HOME"
TIMEFORMAT='%R %U %S'
: > "$work/cosign.times"
for i in $(seq 0 $((SAMPLE - 1))); do
  b=$(printf '%s/d/att/b%06d.sigstore.json' "$work" "$i")
  { time taskset -c 0 "$COSIGN" verify-blob-attestation --bundle "$b" --new-bundle-format --trusted-root "$work/d/trusted_root.json" \
      "${id[@]}" --type slsaprovenance1 "$work/d/app" > /dev/null 2>&1; } 2>> "$work/cosign.times" || { echo "cosign rejected $b"; exit 1; }
done
read -r c_wall c_cpu < <(wall_cpu "$work/cosign.times")
echo "cosign verify-blob-attestation, once per bundle, $SAMPLE samples: median wall ${c_wall}s, cpu ${c_cpu}s per bundle"
echo "ratio (cosign per bundle / pinline per bundle): wall $(echo "$c_wall * $N / $p_wall" | bc) x, cpu $(echo "$c_cpu * $N / $p_cpu" | bc) x"
