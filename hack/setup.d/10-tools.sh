#!/usr/bin/env bash
# Builds the third-party CLIs the tests interoperate with or compare against
# (cosign, opa, syft) and the chart tests' helm through hack/tools.sh, and
# names them for the tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
hack/tools.sh cosign opa syft helm >/dev/null
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
bin=$PINLINE_CACHE/bin

if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  {
    echo "PINLINE_COSIGN_BIN=$bin/cosign"
    echo "PINLINE_OPA_BIN=$bin/opa"
    echo "PINLINE_SYFT_BIN=$bin/syft"
    echo "PINLINE_HELM_BIN=$bin/helm"
  } >> "$PINLINE_TEST_ENV"
fi
