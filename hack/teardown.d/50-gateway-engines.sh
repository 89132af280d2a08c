#!/usr/bin/env bash
# Stops the gateway test engines started by hack/setup.d/50-gateway-engines.sh
# and removes their bridges, CNI state and iptables rules.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE
PINLINE_ENGINE_NAME=gw-trusted PINLINE_ENGINE_NETWORK=pgwtrust PINLINE_ENGINE_CIDR=10.91.0.0/16 bash hack/engine.sh clean || true
PINLINE_ENGINE_NAME=gw-untrusted PINLINE_ENGINE_NETWORK=pgwpr PINLINE_ENGINE_CIDR=10.92.0.0/16 bash hack/engine.sh clean || true
