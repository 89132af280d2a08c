package policy

import (
	"time"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/spec"
)

// InputVersion is the version of the input document shape. It changes only
// when a field is removed or changes meaning; new fields may appear.
const InputVersion = 1

// Input is the document policies are evaluated against (input in Rego).
// docs/policy-input.md describes every field. Every collected item carries
// a pos with file, line and column.
type Input struct {
	InputVersion int    `json:"inputVersion"`
	Tier         string `json:"tier"`
	// Evaluation is when the decision is taken: policies read the time
	// here, never from the clock (time.now_ns is not available to them).
	Evaluation InputEvaluation `json:"evaluation"`
	Run        *RunInfo        `json:"run,omitempty"`
	Config     InputConfig     `json:"config"`
	Files      []string        `json:"files"`
	Modules    []InModule      `json:"modules"`
	Locks      []InLock        `json:"locks"`
	Images     []InImage       `json:"images"`
	Specs      []InSpec        `json:"specs"`
	Unresolved []InUnresolved  `json:"unresolved"`
	// Lints are module-source patterns that reach the host (PL035–PL039).
	Lints []InLint `json:"lints"`
	// Env is the workspace environment overlay applied (--env).
	Env string `json:"env"`
	// UserOverrides are the workspace overrides of the user-level Dagger
	// config (~/.config/dagger/config.toml or $DAGGER_CONFIG).
	UserOverrides []InUserOverride `json:"userOverrides"`
	// LockAdded are the dagger.lock entries a run added (after pinline
	// run/call; empty for check), and Frozen (run/call --frozen) whether
	// that, and before the run a lookup missing from the lock (PL028), is
	// denied.
	LockAdded []InLock `json:"lockAdded"`
	Frozen    bool     `json:"frozen"`
	// DuplicateKeys are keys a dagger.json repeats in one object.
	DuplicateKeys []InDuplicateKey `json:"duplicateKeys"`
}

// InDuplicateKey is a repeated JSON key: pos is the occurrence that wins
// (the last), first the first one (inventory's type: the input document
// has the same fields).
type InDuplicateKey = inventory.DuplicateKey

// InUserOverride is one workspace override of the user-level Dagger
// config: inventory.UserOverride with every field present (the inventory
// leaves empty ones out, the input document never does).
type InUserOverride struct {
	Pos       Pos    `json:"pos"`
	Workspace string `json:"workspace"`
	Env       string `json:"env"`
	Module    string `json:"module"`
	Source    string `json:"source"`
	Pin       string `json:"pin"`
	Settings  bool   `json:"settings"`
}

// Pos is a position in the input document: file relative to the root,
// 1-based line and column (0 when unknown).
type Pos = inventory.Position

// RunInfo describes the run being requested (pinline run); nil for check.
type RunInfo struct {
	// Backend is "dagger" or "host".
	Backend string `json:"backend"`
	Pos     Pos    `json:"pos"`
	// Spec is the spec being run and SpecPath its path relative to the
	// root: Check adds it to the input's specs and images when the
	// repository walk did not find it (a spec not named pinline.yaml).
	Spec     *spec.Spec `json:"-"`
	SpecPath string     `json:"-"`
	// PushRemotes are the git remotes the operator allows the run's tier
	// to push to (the secrets file's remotes; an entry ending in "/" is a
	// prefix). PL016 denies a push to any other outside tier local.
	PushRemotes []string `json:"pushRemotes"`
	// Calls are the run's module calls (pinline call, pinline.yaml call
	// tasks) with what their module and arguments reach on the host,
	// computed by the executor from the file system before policy
	// (symlinks resolved): the facts of PL030 and PL031.
	Calls []InCall `json:"calls"`
}

// InCall is one module call of a run.
type InCall struct {
	// Pos is the call's position in the spec (file "" for pinline call's
	// command line).
	Pos  Pos    `json:"pos"`
	Task string `json:"task"`
	// FromSpec: the call is a task of a spec file, so the repository chose
	// its arguments (not the command line).
	FromSpec bool   `json:"fromSpec"`
	Module   string `json:"module"`
	// ModuleOutside says why the module directory resolves outside the
	// repository; "" when it stays inside.
	ModuleOutside string      `json:"moduleOutside"`
	Args          []InCallArg `json:"args"`
}

// InCallArg is one argument of a call, as the run records it.
type InCallArg struct {
	// Name is the flag without dashes ("" for a token of no flag, such as
	// a chained function); Arg the argument as recorded (--name=value,
	// secret values masked as ***).
	Name string `json:"name"`
	Arg  string `json:"arg"`
	// Secret: the value is a secret provider (env:, file:, cmd:, ...).
	Secret bool `json:"secret"`
	// Reaches is what the value reaches on the host: "path" (a file or
	// directory, also a file: secret), "socket" (unix://), "service"
	// (tcp://, udp://), "command" (cmd:), "store" (a secret store),
	// "write" (-o, --output, export: the call would write to the host),
	// or "" (nothing: a URL the engine fetches, an env: secret).
	Reaches string `json:"reaches"`
	// Outside says why a path resolves outside the repository (symlinks
	// followed, ~ expanded); "" when it stays inside.
	Outside string `json:"outside"`
}

// InputEvaluation is the evaluation time, as RFC 3339 (UTC, seconds) and
// as nanoseconds since the Unix epoch (what time.now_ns would return).
type InputEvaluation struct {
	Time   string `json:"time"`
	TimeNs int64  `json:"timeNs"`
}

// NewInputEvaluation describes the evaluation time t.
func NewInputEvaluation(t time.Time) InputEvaluation {
	return InputEvaluation{Time: t.UTC().Format(time.RFC3339), TimeNs: t.UnixNano()}
}

// InputConfig is the policy data from .pinline/policy.yaml that rules read.
type InputConfig struct {
	ModuleAllowlist   []string `json:"moduleAllowlist"`
	RegistryAllowlist []string `json:"registryAllowlist"`
	PublishAllowlist  []string `json:"publishAllowlist"`
}

// InModule is a Dagger module or workspace configuration.
type InModule struct {
	Pos              Pos     `json:"pos"`
	Format           string  `json:"format"`
	Name             string  `json:"name"`
	EngineVersion    string  `json:"engineVersion"`
	EngineVersionPos Pos     `json:"engineVersionPos"`
	SDK              *InSDK  `json:"sdk,omitempty"`
	Dependencies     []InDep `json:"dependencies"`
}

// InSDK is a module's SDK. Remote is present only for remote sources.
type InSDK struct {
	Pos     Pos       `json:"pos"`
	Source  string    `json:"source"`
	Pin     string    `json:"pin"`
	Builtin bool      `json:"builtin"`
	Remote  *InRemote `json:"remote,omitempty"`
}

// InDep is a dependency, toolchain, blueprint or workspace module. Remote
// is present only for remote sources.
type InDep struct {
	Pos    Pos       `json:"pos"`
	Kind   string    `json:"kind"`
	Name   string    `json:"name"`
	Source string    `json:"source"`
	Pin    string    `json:"pin"`
	Legacy bool      `json:"legacy"`
	Local  bool      `json:"local"`
	Remote *InRemote `json:"remote,omitempty"`
}

// InRemote is a parsed remote module source.
type InRemote struct {
	// Module is host/repo[/subpath], without scheme and ref: what the
	// module allowlist matches.
	Module  string `json:"module"`
	Host    string `json:"host"`
	Repo    string `json:"repo"`
	Subpath string `json:"subpath"`
	Ref     string `json:"ref"`
	RefKind string `json:"refKind"`
}

// InLock is one dagger.lock entry. Key holds the string elements of the
// entry's key in file order; Params the [name, value] pairs nested in it
// (["github.com/dagger/node", ["version", "v0.2.0"]] has key
// ["github.com/dagger/node"] and params {"version": "v0.2.0"}).
type InLock struct {
	Pos       Pos               `json:"pos"`
	Version   string            `json:"version"`
	Namespace string            `json:"namespace"`
	Kind      string            `json:"kind"`
	Key       []any             `json:"key"`
	Params    map[string]string `json:"params"`
	Value     string            `json:"value"`
	Ref       string            `json:"ref"`
	Policy    string            `json:"policy"`
	Floating  bool              `json:"floating"`
}

// InImage is a container image reference from any origin.
type InImage struct {
	Pos        Pos    `json:"pos"`
	Origin     string `json:"origin"`
	Via        string `json:"via"`
	Name       string `json:"name"`
	Ref        string `json:"ref"`
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"`
}

// InSpec is a pinline.yaml spec.
type InSpec struct {
	Path  string   `json:"path"`
	Name  string   `json:"name"`
	Pos   Pos      `json:"pos"`
	Tasks []InTask `json:"tasks"`
	// Env is the top-level env (names only), Services the service
	// containers, sorted by name.
	Env      []InEnv     `json:"env"`
	Services []InService `json:"services"`
}

// InService is a service container of a spec.
type InService struct {
	Name  string  `json:"name"`
	Pos   Pos     `json:"pos"`
	Image string  `json:"image"`
	Env   []InEnv `json:"env"`
	Ports []int   `json:"ports"`
}

// InPush is a task's git push: the remote URL and the full ref.
type InPush struct {
	Pos    Pos    `json:"pos"`
	Remote string `json:"remote"`
	Ref    string `json:"ref"`
}

// InTask is one task of a spec. Secret and env values are never copied
// into the input; only whether a literal value is present.
type InTask struct {
	Name    string     `json:"name"`
	Pos     Pos        `json:"pos"`
	Image   string     `json:"image"`
	From    string     `json:"from"`
	Mounts  []InMount  `json:"mounts"`
	Secrets []InSecret `json:"secrets"`
	Env     []InEnv    `json:"env"`
	// Publish are the task's image outputs (type image).
	Publish []InPublish `json:"publish"`
	// Services are the names of the services it binds; Matrix its matrix
	// variables and values (empty: none); Push its git push (absent: none).
	Services []string `json:"services"`
	Matrix   []InAxis `json:"matrix"`
	Push     *InPush  `json:"push,omitempty"`
}

// InPublish is an image output: the ref it pushes to and its
// registry/repository (ref without the tag).
type InPublish struct {
	Pos        Pos    `json:"pos"`
	Ref        string `json:"ref"`
	Repository string `json:"repository"`
}

// InAxis is one matrix variable and its values.
type InAxis struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// InMount is a host mount. Resolved is the source relative to the
// repository root, cleaned; it starts with "../" or "/" when it escapes.
type InMount struct {
	Pos      Pos    `json:"pos"`
	Source   string `json:"source"`
	Target   string `json:"target"`
	Resolved string `json:"resolved"`
	ReadOnly bool   `json:"readOnly"`
}

// InSecret is a secret declaration; Literal is true when the spec holds a
// value. The value itself is never part of the input.
type InSecret struct {
	Pos     Pos    `json:"pos"`
	Name    string `json:"name"`
	Literal bool   `json:"literal"`
	FromEnv string `json:"fromEnv"`
	File    string `json:"fromFile"`
	Command bool   `json:"fromCommand"`
}

// InEnv is a task environment variable; the value is never copied.
type InEnv struct {
	Name    string `json:"name"`
	Literal bool   `json:"literal"`
}

// InLint is a module-source pattern that reaches the host (rules
// PL035–PL039): inventory's type, the input document has the same fields.
type InLint = inventory.SourceLint

// InUnresolved is an image reference in module source that cannot be
// resolved statically: inventory's type, the input document has the same
// fields.
type InUnresolved = inventory.Unresolved
