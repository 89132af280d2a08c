#!/usr/bin/env bash
# Stops the registry and the engine started by hack/setup.d/30-engine.sh and
# removes the engine's host leftovers (bridge, iptables CNI chains, CNI state).
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE
hack/registry.sh stop
hack/engine.sh clean
