#!/usr/bin/env bash
# Starts the two engines the gateway tests route to (issue 5): one per trust
# tier, each with its own CNI network name and CIDR so they can run side by
# side. Uses hack/engine.sh (build cached under $PINLINE_CACHE/engine);
# idempotent; hack/teardown.d/50-gateway-engines.sh stops and cleans them.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE

bash hack/engine.sh build
start() { # instance network cidr isolate
  PINLINE_ENGINE_NAME=$1 PINLINE_ENGINE_NETWORK=$2 PINLINE_ENGINE_CIDR=$3 PINLINE_ENGINE_ISOLATE=$4 bash hack/engine.sh start
}
start gw-trusted pgwtrust 10.91.0.0/16 0
# The pull-request engine's tasks cannot reach the host through the bridge nor
# the metadata addresses (docs/threat-model.md "Network reach").
start gw-untrusted pgwpr 10.92.0.0/16 1

if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  {
    echo "PINLINE_GW_TRUSTED_SOCK=$PINLINE_CACHE/engine/instances/gw-trusted/run/engine.sock"
    echo "PINLINE_GW_UNTRUSTED_SOCK=$PINLINE_CACHE/engine/instances/gw-untrusted/run/engine.sock"
    echo "PINLINE_GW_DAGGER_CLI=$PINLINE_CACHE/engine/bin/dagger"
    echo "PINLINE_GW_UNTRUSTED_BRIDGE_IP=10.92.0.1"
  } >> "$PINLINE_TEST_ENV"
fi
