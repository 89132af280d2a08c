#!/usr/bin/env bash
# Keyless verification benchmark (issue 15): time `pinline verify
# --attestations DIR --trusted-root ...` over N generated keyless bundles (one
# process pinned to one CPU), and the cosign CLI (verify-blob-attestation
# --bundle --trusted-root, the same identity) run once per bundle over a
# sample; print medians and the ratio. Usage: bench/verify-keyless.sh [N]
# [COSIGN_SAMPLE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
SAMPLE=${2:-20}
RUNS=${3:-5}
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
COSIGN=${PINLINE_COSIGN_BIN:-$PINLINE_CACHE/bin/cosign}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/pinline" ./cmd/pinline
go build -o "$work/genkeyless" ./bench/genkeyless
"$work/genkeyless" -n "$N" -dir "$work/d"
id=(--certificate-identity https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1
  --certificate-oidc-issuer https://token.actions.githubusercontent.com)

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

TIMEFORMAT='%R %U %S'
: > "$work/pinline.times"
for _ in $(seq "$RUNS"); do
  { time taskset -c 0 "$work/pinline" verify --trusted-root "$work/d/trusted_root.json" "${id[@]}" \
      --attestations "$work/d/att" --artifact "$work/d/app" --source-uri github.com/acme/app --source-ref refs/tags/v1 > "$work/out.txt"; } 2>> "$work/pinline.times"
  tail -1 "$work/out.txt" | grep -qx Verified || { echo "pinline verify failed"; tail -3 "$work/out.txt"; exit 1; }
done
p_wall=$(awk '{print $1}' "$work/pinline.times" | median)
p_cpu=$(awk '{print $2+$3}' "$work/pinline.times" | median)
echo "pinline verify, $N keyless bundles, $RUNS runs: median wall ${p_wall}s, median cpu ${p_cpu}s"
echo "  => $(echo "$N / $p_wall" | bc) bundles/s wall, $(echo "$N / $p_cpu" | bc) bundles/cpu-s"

if [ ! -x "$COSIGN" ]; then echo "cosign not found at $COSIGN; skipping the ratio"; exit 0; fi
export HOME=$work/home TUF_ROOT=$work/home/.sigstore
mkdir -p "$HOME"
: > "$work/cosign.times"
for i in $(seq 0 $((SAMPLE - 1))); do
  b=$(printf '%s/d/att/b%06d.sigstore.json' "$work" "$i")
  { time taskset -c 0 "$COSIGN" verify-blob-attestation --bundle "$b" --new-bundle-format --trusted-root "$work/d/trusted_root.json" \
      "${id[@]}" --type slsaprovenance1 "$work/d/app" > /dev/null 2>&1; } 2>> "$work/cosign.times" || { echo "cosign rejected $b"; exit 1; }
done
c_wall=$(awk '{print $1}' "$work/cosign.times" | median)
c_cpu=$(awk '{print $2+$3}' "$work/cosign.times" | median)
echo "cosign verify-blob-attestation, once per bundle, $SAMPLE samples: median wall ${c_wall}s, cpu ${c_cpu}s per bundle"
echo "ratio (cosign per bundle / pinline per bundle): wall $(echo "$c_wall * $N / $p_wall" | bc) x, cpu $(echo "$c_cpu * $N / $p_cpu" | bc) x"
