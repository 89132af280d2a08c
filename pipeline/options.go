package pipeline

import (
	"context"
	"io"
	"time"

	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// Backends a run can use.
const (
	BackendDagger = "dagger"
	BackendHost   = "host"
)

// Cache modes of a tier: "rw" mounts the tier's volume, "snapshot" mounts a
// copy-on-write copy of it so the task cannot change what others read.
const (
	CacheModeRW       = "rw"
	CacheModeSnapshot = "snapshot"
)

// DefaultConcurrency is used when the spec sets no concurrency.
const DefaultConcurrency = 4

// Errors callers branch on (errors.Is). Each belongs to a class of
// internal/errclass: denied (1), bad input (2) or operational (3).
var (
	// ErrDenied: the gate denied the run; nothing was executed.
	ErrDenied = errclass.New(errclass.ErrDenied, "run denied by policy")
	// ErrInvalid: the spec or the options cannot be executed as given.
	ErrInvalid = errclass.New(errclass.ErrBadInput, "invalid pipeline")
	// ErrTaskFailed: at least one task failed, timed out or was skipped
	// because a dependency failed.
	ErrTaskFailed = errclass.New(errclass.ErrDenied, "task failed")
	// ErrEngine: the engine could not be reached or went away.
	ErrEngine = errclass.New(errclass.ErrOperational, "engine error")
	// ErrInterrupted: the run was cancelled or hit its --timeout.
	ErrInterrupted = errclass.New(errclass.ErrDenied, "run interrupted")
	// ErrExportGuard: exporting an output would delete more files than
	// allowed.
	ErrExportGuard = errclass.New(errclass.ErrDenied, "export would delete files")
	// ErrEvidence: the SBOM or the provenance could not be produced.
	ErrEvidence = errclass.New(errclass.ErrOperational, "evidence error")
	// ErrMalformedRecord is a run.json that is not valid JSON of a run
	// record (bad input, exit 2).
	ErrMalformedRecord = errclass.New(errclass.ErrBadInput, "malformed run record")
)

// Engine says how to reach the Dagger engine.
type Engine struct {
	// Address is unix:///path or tcp://host:port (see engineconfig).
	Address string
	// CLI is the path of the dagger CLI binary (v0.19.10) that opens the
	// session; the SDK never downloads one.
	CLI string
	// Env is the environment of the CLI child process (the caller passes
	// its own; the runner host is added).
	Env []string
	// ConnectTimeout bounds reaching the engine (default 20s).
	ConnectTimeout time.Duration
	// Gateway is the mTLS gateway address when Address is the socket of
	// a forwarder to it (recorded as engine.gateway in run.json).
	Gateway string
	// GatewayCacheMode is the gateway tier's isolation, "strong" (own
	// engine) or "shared" (recorded as engine.gatewayCacheMode).
	GatewayCacheMode string
	// GatewaySession is the session key every forwarded connection
	// carries (engine.gatewaySession).
	GatewaySession string
	// GatewayEngine, when set, names the engine the gateway placed the
	// session on, once known (engine.gatewayEngine).
	GatewayEngine func() string
	// NativeTLS is the tcp address of an engine's own mTLS listener the
	// run reached without a gateway (engine.nativeTLS; GatewayCacheMode is
	// then "engine-native"): the engine accepted the certificate but did
	// not authorize its identity, and the tier was only requested.
	NativeTLS string
	// TierUnverified records that nobody verified the run's tier
	// (engine.tierUnverified).
	TierUnverified bool
	// Health, when set, reports why the transport to the engine failed
	// (e.g. the gateway could not reach an engine of the tier). A run with
	// a failed task or connection whose Health is non-nil fails with
	// ErrEngine and that reason rather than as a task failure.
	Health func() error
	// liveLogs makes the session export the engine's logs (set by Run
	// when Options.Output is).
	liveLogs bool
}

// Options configure one run.
type Options struct {
	Spec *spec.Spec
	// Root is the repository root; mounts and secret files are relative to
	// it. RunsDir defaults to Root/.pinline/runs.
	Root    string
	RunsDir string
	// Tasks selects tasks (and their dependencies); empty runs all.
	Tasks []string

	Tier      string
	BuilderID string
	// RunID is the run's id (default: a new one, NewRunID); `pinline
	// serve` names runs when they are submitted.
	RunID string
	// Service, when set, is recorded as run.json's service block: the run
	// was submitted to the control plane, and its provenance states the
	// submission as externalParameters (see BuildDescription).
	Service *record.ServerRun
	// CacheScope is the middle part of volume names <tier>/<scope>/<name>
	// (default: the spec name). CacheMode is CacheModeRW or
	// CacheModeSnapshot (default rw).
	CacheScope string
	CacheMode  string
	// SnapshotFrom is the tier whose volumes a snapshot-mode run reads
	// (the gateway announces it for shared-engine tiers; default: Tier).
	SnapshotFrom string
	// SnapshotImage is the digest-pinned image that runs the snapshot copy
	// step when SnapshotFrom is set (required then: the copy step mounts
	// the other tier's volume, so it never runs in an image the spec chose).
	SnapshotImage string

	Backend string
	Engine  Engine
	// Timeout bounds the whole run (0: none).
	Timeout time.Duration
	// CallStall is how long a call task's dagger CLI child may show no
	// sign of life (output, spans of its trace) before it is killed as
	// stalled (ErrCallStalled, exit 3): 0 means DefaultCallStall, negative
	// never; capped at four fifths of what is left of the run's or the
	// task's timeout.
	CallStall time.Duration
	// AllowDelete is how many existing files exporting outputs may delete.
	AllowDelete int
	// SkipSHA512 hashes outputs with SHA-256 only (about twice as fast
	// without SHA-512 instructions); by default run.json records SHA-256
	// and SHA-512 of every output, computed in one pass.
	SkipSHA512 bool

	Who record.Who

	// Gate decides whether the run may start. Required: without a gate
	// nothing runs (fail closed).
	Gate Gate
	// Frozen is --frozen: dagger.lock must not change. The gate denies a
	// lookup the lock does not hold (PL028), and a run that added or
	// changed lock entries after all is denied (PL026) before any
	// evidence is written. Without it the added entries are warnings.
	Frozen bool
	// SBOM, when set, writes sbom.cdx.json after a successful run.
	SBOM SBOMWriter
	// Attester, when set, writes signed provenance after a successful run.
	Attester Attester
	// Registry is how image outputs reach registries (nil: anonymous,
	// evidence attached); see docs/images.md.
	Registry *Registry

	// Secrets is the operator's secrets file (nil: none): per tier, the
	// source of each logical secret. Outside tier local it is the only
	// source; it must not lie inside the repository then.
	Secrets *spec.SecretsFile
	// LookupEnv resolves env sources (`{env: NAME}`); nil resolves nothing.
	// Sensitive names (COSIGN_*, PINLINE_*, cloud credentials) are never
	// looked up.
	LookupEnv func(string) (string, bool)
	// HostEnv is the environment tasks on the host backend and secret
	// commands derive theirs from: host tasks get it without the sensitive
	// variables, secret commands only PATH, HOME, USER, locale and TMPDIR.
	HostEnv []string
	// Home is the directory besides Root that tier-local secret files may
	// be read from (default os.UserHomeDir; "" after that: none).
	Home string
	// Progress receives task events as they happen (may be nil). Calls are
	// serialised.
	Progress func(Event)
	// Output, when set, receives a task's output while the task runs, as
	// the engine exports it (dagger backend): whole lines only, scrubbed of
	// secret values; stream is "stdout" or "stderr". Best effort: lines the
	// engine exports after the task finished, and a last line without a
	// newline, are not delivered (logs/<task>.log is complete). Calls are
	// serialised and all of a task's come before its final Progress event.
	Output func(task, stream, text string)
	// Log receives engine session diagnostics (default: discarded). Never
	// secrets: values are scrubbed before anything is written.
	Log io.Writer
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Event is a task state change.
type Event struct {
	Task     string
	Status   string // record.StatusRunning when it starts, then the final status
	ExitCode int
	Duration time.Duration
	Error    string
}

// Gate is the pre-run policy gate.
type Gate interface {
	Evaluate(ctx context.Context, in GateInput) (*Decision, error)
}

// GateInput is what the gate decides on.
type GateInput struct {
	Root    string
	Spec    *spec.Spec
	Tier    string
	Backend string
	// Frozen is Options.Frozen.
	Frozen bool
	// PushRemotes are the git remotes the operator allows the tier to push
	// to (Options.Secrets' remotes), for PL016.
	PushRemotes []string
}

// Decision is the gate's answer: record.Decision, written as decision.json
// (the fields and JSON shapes of policy.Decision plus gates), and what the
// policy gate collected for the SBOM. The executor's own rules are
// catalogue rules (PL010, PL013, PL021; see PolicyGate). See
// docs/run-record.md "decision.json".
type Decision struct {
	record.Decision

	// inventory is what the policy gate collected, reused for the SBOM.
	inventory *inventory.Inventory
}

// SBOMWriter writes the SBOM of a finished run. runDir holds the exported
// outputs; inv is the repository inventory the gate collected (nil when the
// gate collected none).
type SBOMWriter interface {
	WriteSBOM(ctx context.Context, run *record.Run, runDir string, inv *inventory.Inventory, w io.Writer) error
}

// Attester produces signed provenance for a succeeded run.
type Attester interface {
	// recordSHA256 is set when the run has no outputs: the hex SHA-256 of
	// run.json as written (in its final form) before signing, which is
	// then the provenance's only subject (docs/buildtype.md).
	Attest(ctx context.Context, run *record.Run, recordSHA256 string) (*Provenance, error)
}

// Provenance is what an Attester returns: the DSSE envelope
// (provenance.intoto.json) and the sigstore bundle (provenance.sigstore.json).
type Provenance struct {
	Envelope []byte
	Bundle   []byte
	KeyRef   string
}

// Result is a finished (or denied) run.
type Result struct {
	// Dir is the run directory .pinline/runs/<id>.
	Dir    string
	Record *record.Run
}
