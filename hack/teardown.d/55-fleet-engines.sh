#!/usr/bin/env bash
# Stops the engines started by hack/setup.d/55-fleet-engines.sh and removes
# their bridges, CNI state and iptables rules (the cached TLS material stays).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE
unset PINLINE_ENGINE_SOCK PINLINE_ENGINE_STATE
clean() { PINLINE_ENGINE_NAME=$1 PINLINE_ENGINE_NETWORK=$2 PINLINE_ENGINE_CIDR=$3 bash hack/engine.sh clean || true; }
clean f14-1 pf14a 10.110.0.0/16
clean f14-2 pf14b 10.111.0.0/16
clean f14-3 pf14c 10.112.0.0/16
clean f14-tls pf14t 10.113.0.0/16
