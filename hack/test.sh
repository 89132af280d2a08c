#!/usr/bin/env bash
# The test command README.md gives. It installs what the tests need (Debian
# packages, tools built from the Go module proxy, a Dagger engine and a local
# registry) through hack/setup.d/*.sh, then runs every test, including the
# ones that need the real engine and the real cosign CLI.
# Builds are cached under $HOME/.cache/pinline, so a warm run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$HOME/go/bin:$PATH
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export PINLINE_CACHE=${PINLINE_CACHE:-$HOME/.cache/pinline}
# As in CI (.ci/run sets it too): a test whose tool or service is missing
# fails instead of skipping, also when this script is run by hand.
export CI=true
mkdir -p "$PINLINE_CACHE"

# Each setup step may export variables for the tests into this file.
export PINLINE_TEST_ENV=$PINLINE_CACHE/test.env
: > "$PINLINE_TEST_ENV"
# Teardown runs however this ends, also when a setup step fails after an
# earlier one started engines (the teardown steps are safe to re-run).
cleanup() { for step in hack/teardown.d/*.sh; do [ -e "$step" ] && bash "$step" || true; done; }
trap cleanup EXIT
for step in hack/setup.d/*.sh; do
  [ -e "$step" ] || continue
  echo "== setup: $step"
  bash "$step"
done
set -a
# shellcheck disable=SC1090
. "$PINLINE_TEST_ENV"
set +a

echo "== go test"
go test -count=1 -timeout 40m ./... "$@"
