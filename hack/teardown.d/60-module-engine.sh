#!/usr/bin/env bash
# Stops the module engine started by hack/setup.d/60-module-engine.sh and
# removes its bridge, CNI state and iptables rules. The Go SDK content image
# stays cached under $PINLINE_CACHE/gosdk.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE
PINLINE_ENGINE_NAME=modules PINLINE_ENGINE_NETWORK=pmod PINLINE_ENGINE_CIDR=10.120.0.0/16 bash hack/engine.sh clean || true
