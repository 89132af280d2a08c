// The admission controllers whose CRD schemas admission's tests validate
// pinline's exported policies against. Only their module zips are needed
// (hack/setup.d/70-admission-crds.sh runs `go mod download` here); they
// never enter pinline's own go.mod and their dependency graphs are never
// resolved.
module github.com/pinline/pinline/tools/admission

go 1.26.8

require (
	github.com/kyverno/kyverno v1.19.1
	github.com/sigstore/policy-controller v0.13.1
)
