#!/usr/bin/env bash
# hack/tools.sh NAME... - builds third-party CLIs from their tool modules
# under tools/NAME (exact versions pinned there) into $PINLINE_CACHE/bin and
# prints each binary's path. Cached: rebuilt only when the tool module's
# go.mod or go.sum changes. The tests' tools come from hack/setup.d/10-tools.sh;
# benchmarks build theirs (conftest) on demand; .ci/run builds staticcheck.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
bin=$PINLINE_CACHE/bin
mkdir -p "$bin"

declare -A pkg=(
  [cosign]=github.com/sigstore/cosign/v2/cmd/cosign
  [conftest]=github.com/open-policy-agent/conftest
  [opa]=github.com/open-policy-agent/opa
  [syft]=github.com/anchore/syft/cmd/syft
  [staticcheck]=honnef.co/go/tools/cmd/staticcheck
  [helm]=helm.sh/helm/v3/cmd/helm
)

for name in "$@"; do
  p=${pkg[$name]:?unknown tool $name}
  stamp=$(sha256sum "tools/$name/go.mod" "tools/$name/go.sum" | sha256sum | cut -c1-16)
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$name: cached" >&2
  else
    echo "$name: building $p" >&2
    t0=$SECONDS
    (cd "tools/$name" && CGO_ENABLED=0 go build -trimpath -o "$bin/$name.tmp" "$p")
    mv "$bin/$name.tmp" "$bin/$name"
    echo "$stamp" > "$bin/$name.stamp"
    echo "$name: built in $((SECONDS - t0)) s" >&2
  fi
  echo "$bin/$name"
done
