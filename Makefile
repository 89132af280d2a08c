# Developer entry points. CI runs `bash .ci/run` (lint + `hack/test.sh`);
# these targets are the same commands, one at a time.
SHELL := bash
export GOFLAGS ?= -buildvcs=false

.PHONY: all build install generate lint fmt vet staticcheck test test-unit bench bench-go demo

all: lint test-unit

## build: bin/pinline (the gate: check, policy, pin, hooks) and bin/pinline-full (every
## other command; pinline execs it from its own directory). Always both.
build:
	go build -o bin/ ./cmd/pinline ./cmd/pinline-full

## install: both binaries into $$(go env GOBIN) (default $$HOME/go/bin), side by side
install:
	go install ./cmd/pinline ./cmd/pinline-full

## generate: policy/precompiled.bin from policy/rego (after changing a rule; a test fails until you do)
generate:
	go generate ./policy

## lint: gofmt, go vet and staticcheck (pinned in tools/staticcheck), as .ci/run does
lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...

staticcheck:
	"$$(bash hack/tools.sh staticcheck)" -tags generate,realcorpus ./...

## test: every test, engines included (starts and stops its own engines and registry)
test:
	bash hack/test.sh

## test-unit: the tests that need no engine or external tool (those skip outside CI)
test-unit:
	env -u CI go test ./...

## bench: the process-level benchmarks against their anchors (docs/benchmarks.md)
bench:
	bash bench/corpus.sh
	bash bench/conftest.sh
	bash bench/hop.sh

## bench-go: in-process Go benchmarks of the gate
bench-go:
	go test -run XXX -bench . -benchtime 5x ./policy ./inventory

## demo: check → run → SBOM → signed provenance → verify → report (README)
demo:
	bash hack/demo.sh
