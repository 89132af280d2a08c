#!/usr/bin/env bash
# hack/demo.sh - pinline end to end on a fresh machine, in one command:
#
#   1. provision a real Dagger engine (built from the Go module proxy, cached)
#      and a local registry seeded with a Go toolchain image built from this
#      machine's Go installation, pinned by digest;
#   2. pinline check   - the policy gate on the demo repository;
#   3. pinline run     - test and build testdata/demo (a tiny Go program) inside
#                        the Go image on the engine, export the binary;
#   4. SBOM + signed provenance for the run (throwaway cosign key);
#   5. pinline verify  - verify the exported binary against the provenance;
#   6. pinline report  - audit report (HTML, Markdown, JSON) and a signed
#                        evidence pack, verified again.
#
# Everything goes under $PINLINE_DEMO_DIR (default $PINLINE_CACHE/demo); the
# script prints where. The engine and the registry are stopped (and the host
# cleaned) at the end unless PINLINE_DEMO_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
: "${PINLINE_CACHE:=$HOME/.cache/pinline}"
export PINLINE_CACHE PATH=/usr/local/go/bin:$PATH GOFLAGS=${GOFLAGS:--buildvcs=false}
OUT=${PINLINE_DEMO_DIR:-$PINLINE_CACHE/demo}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
  if [ "${PINLINE_DEMO_KEEP:-}" != 1 ]; then
    step "stopping the registry and the engine (PINLINE_DEMO_KEEP=1 keeps them)"
    hack/registry.sh stop || true
    hack/engine.sh clean || true
  fi
}
trap cleanup EXIT

step "1. engine and registry"
hack/engine.sh build
hack/engine.sh start
hack/registry.sh start
eval "$(hack/engine.sh env | grep '^PINLINE_')"
eval "$(hack/registry.sh env)"
export PINLINE_DAGGER_CLI

rm -rf "$OUT"; mkdir -p "$OUT/bin"
REV=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# pinline (the gate) and pinline-full (every other command), installed side by side.
go build -ldflags "-X github.com/pinline/pinline/cmd/internal/light.commit=$REV" -o "$OUT/bin/" ./cmd/pinline ./cmd/pinline-full
PL=$OUT/bin/pinline
printf '{"engine": {"address": "unix://%s"}}\n' "$PINLINE_ENGINE_SOCK" >"$OUT/engine.json"
W=$OUT/hello
cp -r testdata/demo "$W"
sed "s|@GO_IMAGE@|$PINLINE_IMAGE_GO|" "$W/pinline.yaml.tmpl" >"$W/pinline.yaml"
rm "$W/pinline.yaml.tmpl"
(cd "$W" && git init -q && git add -A && git -c user.name=demo -c user.email=demo@localhost commit -qm demo)
echo "   repository $W (Go image $PINLINE_IMAGE_GO)"

step "2. pinline check (the gate)"
(cd "$W" && "$PL" check)

step "3. pinline run (on the engine, signed with a throwaway key)"
export COSIGN_PASSWORD=${COSIGN_PASSWORD:-demo-password}
"$PL" keys generate --output-key-prefix "$OUT/cosign" >/dev/null
# The evidence pack has a key role of its own (never a build key).
"$PL" keys generate --output-key-prefix "$OUT/pack" >/dev/null
"$PL" run -f "$W/pinline.yaml" --engine-config "$OUT/engine.json" --key "$OUT/cosign.key"
RUN=$(ls -d "$W"/.pinline/runs/* | tail -1)
BIN=$RUN/outputs/hello
echo "   binary: $BIN -> $("$BIN" demo)"

step "4. SBOM and provenance"
test -s "$RUN/sbom.cdx.json" && test -s "$RUN/provenance.intoto.json" && test -s "$RUN/provenance.sigstore.json"
echo "   SBOM:       $RUN/sbom.cdx.json ($(grep -c '"bom-ref"' "$RUN/sbom.cdx.json") bom-refs)"
echo "   provenance: $RUN/provenance.intoto.json (DSSE), $RUN/provenance.sigstore.json (bundle v0.3)"

step "5. pinline verify (before deploy)"
"$PL" verify --key "$OUT/cosign.pub" --attestation "$RUN/provenance.intoto.json" --artifact "$BIN"
"$PL" verify --key "$OUT/cosign.pub" --attestation "$RUN/provenance.sigstore.json" --artifact "$BIN"

step "6. pinline report (for the auditor)"
"$PL" report --runs "$W/.pinline/runs" --key "$OUT/cosign.pub" -o "$OUT/report.html"
"$PL" report --runs "$W/.pinline/runs" --key "$OUT/cosign.pub" -o "$OUT/report.md"
"$PL" report --runs "$W/.pinline/runs" --key "$OUT/cosign.pub" --pack "$OUT/evidence.tar.gz" --sign-key "$OUT/pack.key" -o "$OUT/report.json"
"$PL" verify --pack "$OUT/evidence.tar.gz" --pack-key "$OUT/pack.pub" --key "$OUT/cosign.pub"

step "where everything went"
cat <<EOF
   pinline binary   $PL
   engine           $PINLINE_ENGINE_SOCK (state $PINLINE_CACHE/engine/instances/default)
   registry         $PINLINE_REGISTRY ($PINLINE_CACHE/registry/images.json)
   demo repository  $W
   signing key      $OUT/cosign.key, $OUT/cosign.pub (throwaway; COSIGN_PASSWORD=$COSIGN_PASSWORD)
   run record       $RUN/run.json
   policy decision  $RUN/decision.json
   task logs        $RUN/logs/
   exported binary  $BIN
   SBOM             $RUN/sbom.cdx.json
   provenance       $RUN/provenance.intoto.json, $RUN/provenance.sigstore.json
   audit report     $OUT/report.html, $OUT/report.md, $OUT/report.json
   evidence pack    $OUT/evidence.tar.gz
EOF
"$PL" runs --dir "$W/.pinline/runs"
cd "$REPO"
