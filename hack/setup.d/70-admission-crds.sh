#!/usr/bin/env bash
# Downloads, through the Go module proxy into the module cache, the Kyverno
# and sigstore policy-controller modules (tools/admission/go.mod pins them)
# and names the CRD schemas the admission tests validate pinline's exported
# policies against. Only the two module zips are fetched (~19 MB cold);
# nothing is built and nothing enters the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
moddir() {
  (cd tools/admission && GOFLAGS=-mod=mod go mod download -json "$1") |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
kyverno=$(moddir github.com/kyverno/kyverno)/config/crds/kyverno/kyverno.io_clusterpolicies.yaml
pc=$(moddir github.com/sigstore/policy-controller)/config/300-clusterimagepolicy.yaml
for f in "$kyverno" "$pc"; do
  [ -s "$f" ] || { echo "[admission-crds] error: $f missing" >&2; exit 1; }
done
if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  {
    echo "PINLINE_KYVERNO_CRD=$kyverno"
    echo "PINLINE_POLICY_CONTROLLER_CRD=$pc"
  } >>"$PINLINE_TEST_ENV"
fi
