#!/usr/bin/env bash
# Stops the fleet engines started by hack/setup.d/55-fleet-engines.sh and
# removes their bridges, CNI state and iptables rules.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE
PINLINE_ENGINE_NAME=f14-1 PINLINE_ENGINE_NETWORK=pf14a PINLINE_ENGINE_CIDR=10.110.0.0/16 bash hack/engine.sh clean || true
PINLINE_ENGINE_NAME=f14-2 PINLINE_ENGINE_NETWORK=pf14b PINLINE_ENGINE_CIDR=10.111.0.0/16 bash hack/engine.sh clean || true
PINLINE_ENGINE_NAME=f14-3 PINLINE_ENGINE_NETWORK=pf14c PINLINE_ENGINE_CIDR=10.112.0.0/16 bash hack/engine.sh clean || true
