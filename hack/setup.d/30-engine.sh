#!/usr/bin/env bash
# Builds (cached) and starts a real Dagger engine v0.19.10 and the local
# registry with the images the engine tests use, and tells the tests where
# they are. hack/teardown.d/30-engine.sh stops both and cleans the host.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE
hack/engine.sh build
hack/engine.sh start
hack/registry.sh start
if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  {
    hack/engine.sh env | grep '^PINLINE_'
    echo "PINLINE_ENGINE_SCRIPT=$PWD/hack/engine.sh"
    hack/registry.sh env
  } >>"$PINLINE_TEST_ENV"
fi
