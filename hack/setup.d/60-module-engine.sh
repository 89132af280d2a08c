#!/usr/bin/env bash
# Starts the module-capable engine `modules` the `pinline call` tests use
# (issue 18): the Go SDK content image built by hack/gosdk.sh (cached under
# $PINLINE_CACHE/gosdk) is mounted at the engine's builtin content dir, so
# `dagger call` on Go SDK modules runs offline. Own CNI network pmod
# (10.120.0.0/16). Idempotent; hack/teardown.d/60-module-engine.sh stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE

bash hack/engine.sh build
bash hack/gosdk.sh build >/dev/null
eval "$(bash hack/gosdk.sh env)"
PINLINE_ENGINE_NAME=modules PINLINE_ENGINE_NETWORK=pmod PINLINE_ENGINE_CIDR=10.120.0.0/16 \
  PINLINE_ENGINE_CONTENT=$PINLINE_GOSDK_CONTENT PINLINE_ENGINE_GO_SDK_DIGEST=$PINLINE_GOSDK_DIGEST \
  bash hack/engine.sh start

if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  {
    echo "PINLINE_MODULE_ENGINE_SOCK=$PINLINE_CACHE/engine/instances/modules/run/engine.sock"
    echo "PINLINE_MODULE_DAGGER_CLI=$PINLINE_CACHE/engine/bin/dagger"
    echo "PINLINE_GOSDK_DIGEST=$PINLINE_GOSDK_DIGEST"
  } >>"$PINLINE_TEST_ENV"
fi
