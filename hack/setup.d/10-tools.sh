#!/usr/bin/env bash
# Builds the third-party CLIs the tests compare against or interoperate with
# (cosign, conftest, syft, opa) from their tool modules under tools/, at the
# exact versions pinned there. Cached under $PINLINE_CACHE/bin, rebuilt only
# when a tool module's go.sum changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
bin=$PINLINE_CACHE/bin
mkdir -p "$bin"

build_tool() { # name package
  local name=$1 pkg=$2 stamp
  stamp=$(sha256sum "tools/$name/go.mod" "tools/$name/go.sum" | sha256sum | cut -c1-16)
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$name: cached"
  else
    echo "$name: building $pkg"
    local t0=$SECONDS
    (cd "tools/$name" && CGO_ENABLED=0 go build -trimpath -o "$bin/$name.tmp" "$pkg")
    mv "$bin/$name.tmp" "$bin/$name"
    echo "$stamp" > "$bin/$name.stamp"
    echo "$name: built in $((SECONDS - t0)) s"
  fi
}

build_tool cosign github.com/sigstore/cosign/v2/cmd/cosign
build_tool conftest github.com/open-policy-agent/conftest
build_tool opa github.com/open-policy-agent/opa
build_tool syft github.com/anchore/syft/cmd/syft

if [ -n "${PINLINE_TEST_ENV:-}" ]; then
  {
    echo "PINLINE_COSIGN_BIN=$bin/cosign"
    echo "PINLINE_CONFTEST_BIN=$bin/conftest"
    echo "PINLINE_OPA_BIN=$bin/opa"
    echo "PINLINE_SYFT_BIN=$bin/syft"
  } >> "$PINLINE_TEST_ENV"
fi
