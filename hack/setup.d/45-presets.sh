#!/usr/bin/env bash
# Builds the `pinline exec` language presets from Debian packages
# (hack/presets: one mmdebstrap base, shared as the first layer, plus one
# layer per language installed onto it in a chroot), pushes them to the local registry that
# 30-engine.sh started and writes the presets lock file the tests and
# `pinline exec` read (PINLINE_EXEC_PRESETS). Layers and downloaded .debs
# are cached under $PINLINE_CACHE/presets, keyed by the package lists and
# the builder version: a warm run only pushes (seconds).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false}
P=$PINLINE_CACHE/presets
LOCK=$P/presets.lock.json
mkdir -p "$P" "$PINLINE_CACHE/bin"
start=$SECONDS
if ! command -v mmdebstrap >/dev/null; then
  echo "[presets] installing mmdebstrap" >&2
  apt-get install -y -q mmdebstrap >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q mmdebstrap >/dev/null; }
fi
go build -o "$PINLINE_CACHE/bin/presets" ./hack/presets
registry=$(hack/registry.sh env | sed -n 's/^PINLINE_REGISTRY=//p')
[ -n "$registry" ] || { echo "[presets] error: the registry is not running (hack/setup.d/30-engine.sh)" >&2; exit 1; }
"$PINLINE_CACHE/bin/presets" -registry "$registry" -cache "$P" -lock "$LOCK"
echo "[presets] done in $((SECONDS - start))s" >&2
if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  # No CA bundle: task containers reach the npm registry and the Go module
  # proxy with the images' own Debian ca-certificates (docs/exec.md "Network").
  echo "PINLINE_EXEC_PRESETS=$LOCK" >>"$PINLINE_TEST_ENV"
fi
