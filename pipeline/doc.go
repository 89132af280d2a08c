// Package pipeline runs a pinline.yaml pipeline on a Dagger engine after the
// policy gate allows it, and writes the run record, SBOM and provenance.
// It is the only package that imports the Dagger SDK.
//
// Run is the entry point: plan (validated DAG of the selected tasks) → gate
// (Gate: PolicyGate, whose catalogue holds the executor's own rules; Gates
// combines gates) → secrets → one
// engine session (a `dagger session` child pinline starts and bounds itself,
// handed to the SDK with dagger.WithConn) → tasks with bounded parallelism →
// outputs exported with SHA-256 behind the --allow-delete guard → evidence
// (SBOMWriter, Attester) for succeeded runs only → run.json, decision.json
// and logs/<task>.log under .pinline/runs/<run-id>/ (docs/run-record.md).
// Errors callers branch on are ErrDenied, ErrInvalid, ErrTaskFailed,
// ErrEngine, ErrInterrupted, ErrExportGuard and ErrEvidence.
//
// The package reads no environment variables and prints nothing: the
// environment for secrets and the dagger CLI, the engine address and the
// progress callback are passed in Options.
package pipeline
