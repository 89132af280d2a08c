package attest

import "time"

// BuildType is the SLSA buildType of provenance pinline produces. Its
// parameters are documented in docs/buildtype.md.
const BuildType = "https://pinline.dev/buildtypes/dagger-pipeline/v1"

// BuildDescription is everything a pipeline run knows about itself that goes
// into provenance. The pipeline package fills it after a run finished; attest
// turns it into an in-toto Statement v1 with a SLSA Provenance v1 predicate
// (see Statement). Digests are lower-case hex sha256 unless a field says
// otherwise. Never put secrets in any field: provenance is public evidence.
type BuildDescription struct {
	// Subjects are the artifacts the run produced (exported outputs). At
	// least one is required.
	Subjects []Subject

	// External are the parameters the caller chose (buildDefinition.externalParameters).
	External ExternalParameters
	// Internal are parameters pinline set itself (buildDefinition.internalParameters).
	Internal InternalParameters
	// Dependencies are the resolved inputs (buildDefinition.resolvedDependencies).
	Dependencies ResolvedDependencies

	// BuilderID identifies the builder (runDetails.builder.id), one per
	// trust tier, e.g. "https://pinline.dev/builders/trusted". Required.
	BuilderID string
	// BuilderVersion is optional component => version information
	// (runDetails.builder.version), e.g. {"pinline": "v1.2.3"}.
	BuilderVersion map[string]string
	// InvocationID is the run id (runDetails.metadata.invocationId).
	InvocationID string
	// StartedOn and FinishedOn are the run's start and end (UTC is used).
	StartedOn, FinishedOn time.Time

	// Byproducts are files the run produced that are not subjects.
	Byproducts Byproducts
}

// Subject is one produced artifact: a name (usually a path relative to the
// output directory or an image reference) and its sha256.
type Subject struct {
	Name   string
	SHA256 string
	// GitCommit, instead of SHA256, makes it a git subject: a commit the
	// run pushed (see isGitCommit).
	GitCommit string
}

// ExternalParameters are the user-controlled inputs of a run.
type ExternalParameters struct {
	// SpecPath is the pipeline spec path relative to the source root
	// ("pinline.yaml"); SpecSHA256 its content digest.
	SpecPath   string
	SpecSHA256 string
	// SourceURI is the repository, e.g. "git+https://example.test/org/repo";
	// SourceCommit the full commit hash that was built.
	SourceURI    string
	SourceCommit string
	// Tasks are the task names requested on the command line (empty means
	// the spec's default set).
	Tasks []string
	// Tier is the trust tier the gateway granted ("trusted", "untrusted").
	Tier string
	// Calls are the Dagger module functions the run called.
	Calls []Call
	// Service marks a run submitted to `pinline serve`: externalParameters
	// are then exactly what the client submitted (source uri and commit,
	// spec path, tasks) and nothing else; Tier goes to the internal
	// parameters, which the server chose.
	Service bool
}

// Call is a Dagger module function call: the module at the source commit,
// the function and its arguments. A secret argument has its name only.
type Call struct {
	Task string
	// Module is the module ref at its commit, e.g.
	// "git+https://example.test/org/repo//ci@<commit>"; ModuleDigest the
	// engine's digest of the module source.
	Module       string
	ModuleDigest string
	Function     string
	Args         []CallArg
}

// CallArg is one argument of a Call; Value is empty when Secret is set.
// Digest ("sha256:<hex>") is the content of the repository directory or
// file the value named, when it named one.
type CallArg struct {
	Name   string
	Value  string
	Secret bool
	Digest string
}

// InternalParameters are inputs pinline chose, not the user.
type InternalParameters struct {
	// EngineVersion is the Dagger engine version that executed the run.
	EngineVersion string
	// PolicyBundleSHA256 is the digest of the policy bundle the gate used.
	PolicyBundleSHA256 string
	// GateDecision is the gate's verdict, "allow" for any run that executed.
	GateDecision string
	// CacheMode is the run's cache mode ("rw", or "snapshot": copy-on-write
	// snapshots of the caches).
	CacheMode string
	// Gateway is set when the run went through the mTLS gateway.
	Gateway *Gateway
	// Service is set for a run `pinline serve` executed and signed.
	Service *ServiceParameters
}

// ServiceParameters are what the control plane chose for a submitted run.
type ServiceParameters struct {
	Tier          string
	Engine        string
	ServerVersion string
}

// Gateway is what the mTLS gateway announced for a run: the certificate
// identity it admitted, the tier's cache isolation ("strong": an engine of
// its own; "shared": an engine shared with other tiers) and its address.
type Gateway struct {
	Address   string
	Identity  string
	CacheMode string
}

// ResolvedDependencies are the inputs as actually resolved.
type ResolvedDependencies struct {
	// Images are container images by reference and digest.
	Images []Image
	// Modules are Dagger modules with their pins.
	Modules []Module
	// PolicyBundle names the policy bundle; its digest is
	// InternalParameters.PolicyBundleSHA256. Empty Name means "policy-bundle".
	PolicyBundleName string
}

// Image is a container image used by a task.
type Image struct {
	// Ref is the reference as written, e.g. "example.test/golang:1.26@sha256:...".
	Ref string
	// Digest is the manifest digest "sha256:<hex>".
	Digest string
}

// Module is a Dagger module dependency.
type Module struct {
	Name   string
	Source string // module source, e.g. "github.com/org/mod/sub@v1"
	Pin    string // the commit the source was pinned to
}

// Byproducts are non-subject files the run wrote.
type Byproducts struct {
	// SBOMName and SBOMSHA256 describe the CycloneDX SBOM ("sbom.cdx.json").
	SBOMName   string
	SBOMSHA256 string
	// Logs are task logs ("logs/<task>.log").
	Logs []Subject
}
