package record

import "time"

// SchemaVersion identifies the run.json format documented in docs/run-record.md.
const SchemaVersion = "https://pinline.dev/run/v1"

// Status of a run or a task.
const (
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusDenied      = "denied"
	StatusInterrupted = "interrupted"
	StatusTimedOut    = "timed out"
	StatusSkipped     = "skipped"
	StatusRunning     = "running"
)

// File names inside a run directory.
const (
	RunFile        = "run.json"
	DecisionFile   = "decision.json"
	SBOMFile       = "sbom.cdx.json"
	ProvenanceFile = "provenance.intoto.json"
	BundleFile     = "provenance.sigstore.json"
	LogDir         = "logs"
	OutputDir      = "outputs"
)

// Run is run.json: who ran what, where, and what came out.
type Run struct {
	Schema     string    `json:"schema"`
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`

	Who        Who        `json:"who"`
	Tier       string     `json:"tier"`
	BuilderID  string     `json:"builderId"`
	CacheMode  string     `json:"cacheMode"`
	Repository Repository `json:"repository"`
	Spec       SpecRef    `json:"spec"`
	Engine     Engine     `json:"engine"`
	// Requested are the task names given on the command line (empty: all).
	Requested []string `json:"requested"`

	Decision DecisionRef `json:"decision"`
	Tasks    []Task      `json:"tasks"`
	Outputs  []Output    `json:"outputs"`
	// Published are the images the run pushed (image outputs).
	Published []PublishedImage `json:"published,omitempty"`
	Images    []Image          `json:"images"`
	Modules   []Module         `json:"modules"`
	// Services are the service containers tasks bound (absent: none).
	Services []Service `json:"services,omitempty"`
	Evidence Evidence  `json:"evidence"`
	// Service is set when `pinline serve` ran and signed the run (the
	// control plane, not the tenant, chose tier, engine and key).
	Service *ServerRun `json:"service,omitempty"`
}

// ServerRun describes a run the control plane (`pinline serve`) executed:
// what was submitted (exactly the provenance's externalParameters) and
// what the server chose (tier, engine, signing key).
type ServerRun struct {
	// Repository and Commit are the submitted source; SpecPath the spec
	// inside it; Tasks the submitted task names.
	Repository string   `json:"repository"`
	Commit     string   `json:"commit"`
	SpecPath   string   `json:"specPath"`
	Tasks      []string `json:"tasks"`
	// Tier and Engine are the server's choice; ServerVersion its version.
	Tier          string `json:"tier"`
	Engine        string `json:"engine"`
	ServerVersion string `json:"serverVersion"`
	// SignerKeyID names the tier's signing key (KeyHint of its public
	// key: base64 SHA-256 of the PKIX DER).
	SignerKeyID string `json:"signerKeyId,omitempty"`
}

// Who ran it: the local user and host, and the certificate identity the
// gateway announced when the run went through it.
type Who struct {
	User        string `json:"user"`
	Host        string `json:"host"`
	Identity    string `json:"identity,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Repository is the source the run built: where it was on the host, and
// the source itself.
type Repository struct {
	Root string `json:"root"`
	Source
}

// Source is the built source as the repository's git says: its remote,
// commit, and whether the work tree had changes. The audit report shows it
// as is (report.RepoInfo).
type Source struct {
	URI    string `json:"uri,omitempty"`
	Commit string `json:"commit,omitempty"`
	Dirty  bool   `json:"dirty"`
}

// SpecRef names the pipeline spec and its digest.
type SpecRef struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Engine is where tasks ran.
type Engine struct {
	Endpoint
	// GatewayCacheMode is the tier's isolation at the gateway: "strong"
	// (an engine of its own) or "shared" (an engine shared with other
	// tiers; caches separated by volume names and snapshots only).
	GatewayCacheMode string `json:"gatewayCacheMode,omitempty"`
	// GatewaySession is the run's session key: every connection of the
	// run carried it, and the gateway kept them on one engine.
	GatewaySession string `json:"gatewaySession,omitempty"`
	// GatewayEngine is the engine of the tier the gateway placed the
	// session on (its id, e.g. "pr-1"; empty if no connection got one).
	GatewayEngine string `json:"gatewayEngine,omitempty"`
	// NativeTLS is the address of an engine's own mTLS listener reached
	// without a gateway; GatewayCacheMode is then "engine-native". The
	// engine accepted the client certificate (any its CA signed) but did
	// not authorize the identity in Who.Identity.
	NativeTLS string `json:"nativeTLS,omitempty"`
	// TierUnverified: the run's tier was requested, and nobody checked the
	// certificate may use it.
	TierUnverified bool `json:"tierUnverified,omitempty"`
}

// Endpoint is the engine a run's tasks ran on and the way there; the
// audit report shows it as is (report.EngineInfo).
type Endpoint struct {
	// Backend is "dagger" or "host".
	Backend string `json:"backend"`
	Address string `json:"address,omitempty"`
	Version string `json:"version,omitempty"`
	// Gateway is the mTLS gateway address when the run went through one.
	Gateway string `json:"gateway,omitempty"`
}

// DecisionRef summarises the gate decision stored in decision.json.
type DecisionRef struct {
	Allow        bool   `json:"allow"`
	Violations   int    `json:"violations"`
	Warnings     int    `json:"warnings"`
	Waived       int    `json:"waived"`
	InputSHA256  string `json:"inputSha256"`
	BundleSHA256 string `json:"bundleSha256"`
	// Env is Decision.Env: the workspace environment overlay the gate
	// evaluated.
	Env string `json:"env,omitempty"`
}

// Task is one executed (or skipped) task.
type Task struct {
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	ExitCode   int       `json:"exitCode"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	DurationMS int64     `json:"durationMs"`
	// Image is the resolved reference (with digest); From names the task
	// whose container this one continued.
	Image   string   `json:"image,omitempty"`
	From    string   `json:"from,omitempty"`
	Command []string `json:"command"`
	Workdir string   `json:"workdir,omitempty"`
	// EnvKeys are the names of non-secret environment variables.
	EnvKeys   []string   `json:"envKeys,omitempty"`
	Caches    []CacheUse `json:"caches"`
	DependsOn []string   `json:"dependsOn"`
	Log       string     `json:"log,omitempty"`
	LogSHA256 string     `json:"logSha256,omitempty"`
	Error     string     `json:"error,omitempty"`
	// Cached says whether the engine served the task's exec from its cache
	// instead of running it (Dagger backend; from the engine's telemetry).
	// Absent when unknown.
	Cached *bool `json:"cached,omitempty"`
	// Call is set for a task that called a Dagger module function.
	Call *Call `json:"call,omitempty"`
	// MatrixOf is the spec task of a matrix instance (Name is then
	// task[axis=value,...]) and Matrix its values in axis order.
	MatrixOf string        `json:"matrixOf,omitempty"`
	Matrix   []MatrixValue `json:"matrix,omitempty"`
	// Services are the services the task bound, by name.
	Services []string `json:"services,omitempty"`
	// Snippet is set for a `pinline exec` snippet.
	Snippet *Snippet `json:"snippet,omitempty"`
}

// MatrixValue is one matrix variable of a task instance.
type MatrixValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Call is a Dagger module function call (a call task, `pinline call`).
type Call struct {
	// Module is the module directory relative to the repository root;
	// ModuleName its name, SDK its SDK, ModuleDigest the engine's digest of
	// the module source.
	Module       string `json:"module"`
	ModuleName   string `json:"moduleName,omitempty"`
	SDK          string `json:"sdk,omitempty"`
	ModuleDigest string `json:"moduleDigest,omitempty"`
	Function     string `json:"function"`
	// Args are the function's arguments; a secret argument has its name
	// only, never its value or where it was read from.
	Args []CallArg `json:"args"`
	// Dependencies are the module's dependencies as the engine resolved
	// them, each with its commit.
	Dependencies []CallDependency `json:"dependencies,omitempty"`
	// Images are the images the call resolved, with their digests (from
	// the engine's telemetry).
	Images []Image `json:"images,omitempty"`
	// Resolution says where ModuleDigest and Dependencies came from when
	// not from the engine during this run: nil means this run asked the
	// engine (moduleSource).
	Resolution *CallResolution `json:"resolution,omitempty"`
}

// CallResolution is a module resolution pinline reused: the engine's
// answer (moduleSource) to an earlier call of identical module files and
// configuration (every dependency pinned by commit) on the same engine.
type CallResolution struct {
	// From is "cache".
	From string `json:"from"`
	// Key is the SHA-256 of what the answer depends on (engine, tier,
	// module directory and every file under it, dagger.toml/dagger.lock
	// of the root, the .gitignore files above it).
	Key string `json:"key"`
	// Engine and EngineVersion name the engine that gave the answer; this
	// run's call child reported the same.
	Engine        string `json:"engine"`
	EngineVersion string `json:"engineVersion"`
	// ResolvedAt is when the engine gave it (RFC 3339, UTC).
	ResolvedAt string `json:"resolvedAt"`
}

// CallArg is one argument of a call: --Name Value ("" Name for a chained
// function or positional token).
type CallArg struct {
	Name   string `json:"name,omitempty"`
	Value  string `json:"value,omitempty"`
	Secret bool   `json:"secret,omitempty"`
	// Digest is set for a value that names a directory or file of the
	// repository (what the function is handed from the host, as pinline
	// hashed it just before the call): "sha256:<hex>" of the file, or of a
	// directory's manifest (one "<sha256>  <path>" line per regular file,
	// sorted, as output directories; pinline's run records left out).
	Digest string `json:"digest,omitempty"`
}

// CallDependency is a module dependency as the engine resolved it.
type CallDependency struct {
	Name    string `json:"name"`
	Source  string `json:"source"`
	Kind    string `json:"kind,omitempty"`
	Version string `json:"version,omitempty"`
	Commit  string `json:"commit,omitempty"`
	Pin     string `json:"pin,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

// CacheUse is a cache volume a task mounted.
type CacheUse struct {
	Name    string `json:"name"`   // logical name from the spec
	Volume  string `json:"volume"` // <tier>/<scope>/<name>
	Path    string `json:"path"`
	Sharing string `json:"sharing"`
	Mode    string `json:"mode"` // "rw" or "snapshot"
}

// Output is an exported artifact. The exporter hashes each file once,
// SHA-256 and SHA-512 in one pass (SHA512 is empty with
// --sbom-sha512=false); the SBOM takes the digests from here instead of
// reading the outputs again.
type Output struct {
	Task string `json:"task"`
	// Path inside the container; File is relative to the run directory.
	Path   string `json:"path"`
	File   string `json:"file"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	SHA512 string `json:"sha512,omitempty"`
	// Files are the regular files of a directory output, sorted by path.
	Files []OutputFile `json:"files,omitempty"`
	// Remote, Ref and Commit describe a commit a task pushed (Type
	// "git"): the remote URL, the full ref and the commit id; Path is then
	// the repository in the container and File is empty.
	Remote string `json:"remote,omitempty"`
	Ref    string `json:"ref,omitempty"`
	Commit string `json:"commit,omitempty"`
}

// OutputFile is one regular file of a directory output; Path is relative to
// the directory, slash-separated.
type OutputFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	SHA512 string `json:"sha512,omitempty"`
}

// PublishedImage is an image output the run pushed: the tag it was pushed
// to and the manifest (or index) digest the registry stored. The digest is
// what the provenance attests and what a deploy pins; the tag may move.
type PublishedImage struct {
	Task string `json:"task"`
	// Path is the directory the image was assembled from ("" for the
	// task's container).
	Path string `json:"path,omitempty"`
	// Ref is the tag pushed to (host/repository:tag); Repository is
	// host/repository.
	Ref        string `json:"ref"`
	Repository string `json:"repository"`
	// Digest is sha256:<hex> of the pushed manifest or index; MediaType
	// says which.
	Digest    string   `json:"digest"`
	MediaType string   `json:"mediaType,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	// Attached lists where the run's evidence was attached to the image
	// (referrer digests, the .att tag); empty when it was not.
	Attached []string `json:"attached,omitempty"`
}

// Image is an image a task used.
type Image struct {
	Name   string `json:"name"`
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
}

// Module is a Dagger module dependency of the repository.
type Module struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Pin    string `json:"pin,omitempty"`
}

// Evidence lists the evidence files of the run with their digests.
type Evidence struct {
	SBOM             string `json:"sbom,omitempty"`
	SBOMSHA256       string `json:"sbomSha256,omitempty"`
	Provenance       string `json:"provenance,omitempty"`
	Bundle           string `json:"bundle,omitempty"`
	ProvenanceSHA256 string `json:"provenanceSha256,omitempty"`
	Signed           bool   `json:"signed"`
	KeyRef           string `json:"keyRef,omitempty"`
}
