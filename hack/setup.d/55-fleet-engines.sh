#!/usr/bin/env bash
# Starts the engine fleet of the session-affinity tests (issue 14): three
# engines of one tier (f14-1..3), each with its own CNI network name and
# CIDR. Uses hack/engine.sh (build cached under $PINLINE_CACHE/engine);
# idempotent; hack/teardown.d/55-fleet-engines.sh stops and cleans them.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE

bash hack/engine.sh build
start() { # instance network cidr
  PINLINE_ENGINE_NAME=$1 PINLINE_ENGINE_NETWORK=$2 PINLINE_ENGINE_CIDR=$3 bash hack/engine.sh start
}
start f14-1 pf14a 10.110.0.0/16
start f14-2 pf14b 10.111.0.0/16
start f14-3 pf14c 10.112.0.0/16

if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  {
    echo "PINLINE_FLEET_SOCKS=$PINLINE_CACHE/engine/instances/f14-1/run/engine.sock:$PINLINE_CACHE/engine/instances/f14-2/run/engine.sock:$PINLINE_CACHE/engine/instances/f14-3/run/engine.sock"
    echo "PINLINE_FLEET_ENGINES=f14-1:f14-2:f14-3"
  } >> "$PINLINE_TEST_ENV"
fi
