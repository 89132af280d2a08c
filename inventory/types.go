package inventory

import (
	"github.com/pinline/pinline/internal/finding"
	"github.com/pinline/pinline/spec"
)

// Position is a place in a file. Line and Column are 1-based; zero means
// unknown. File is relative to the inventory root, with forward slashes.
// It is the gate's and the run record's position type too (finding.Pos).
type Position = finding.Pos

// Inventory is everything collected from a repository.
type Inventory struct {
	// Root is the directory the paths are relative to.
	Root string `json:"root"`
	// Files lists every file that was read, relative to Root, sorted.
	Files []string `json:"files"`
	// Modules are Dagger modules (dagger.json or dagger-module.toml) and
	// workspaces (dagger.toml, .dagger/config.toml).
	Modules []Module `json:"modules"`
	// Locks are the entries of dagger.lock files.
	Locks []LockEntry `json:"locks"`
	// Specs are pinline.yaml pipeline specs, by path.
	Specs []SpecFile `json:"specs"`
	// Images are container image references from every source.
	Images []ImageRef `json:"images"`
	// Unresolved are image references in module source that cannot be
	// resolved statically.
	Unresolved []Unresolved `json:"unresolved"`
	// Lints are module-source patterns that reach the host (LintSource).
	Lints []SourceLint `json:"lints,omitempty"`
	// Env is the workspace environment overlay applied (Options.Env).
	Env string `json:"env,omitempty"`
	// UserOverrides are the workspace overrides of the user-level Dagger
	// config (Options.UserConfig).
	UserOverrides []UserOverride `json:"userOverrides,omitempty"`
}

// Module is one Dagger module configuration file.
type Module struct {
	Pos Position `json:"pos"`
	// Format is "dagger.json", "dagger-module.toml", or a workspace:
	// "dagger.toml" (Dagger 1.0) or "config.toml" (.dagger/config.toml of
	// the 1.0 betas).
	Format string `json:"format"`
	// Dir is the module directory (the directory of the file), relative to
	// the inventory root; "." for the root.
	Dir string `json:"dir"`
	// SourceDir is the directory holding the module's code (Dir joined
	// with Source); empty when the module has no SDK (workspaces).
	SourceDir     string       `json:"sourceDir,omitempty"`
	Name          string       `json:"name"`
	EngineVersion string       `json:"engineVersion"`
	EngineVerPos  Position     `json:"engineVersionPos"`
	SDK           *SDK         `json:"sdk,omitempty"`
	Source        string       `json:"source,omitempty"`
	Include       []string     `json:"include,omitempty"`
	Exclude       []string     `json:"exclude,omitempty"`
	Dependencies  []Dependency `json:"dependencies"`
	// Unknown lists top-level keys pinline does not interpret (kept, never
	// an error), sorted.
	Unknown []string `json:"unknown,omitempty"`
	// DuplicateKeys are the keys a dagger.json repeats in one object
	// (the last one wins, as in encoding/json and Dagger).
	DuplicateKeys []DuplicateKey `json:"duplicateKeys,omitempty"`
	// Envs are the environment overlays of a workspace (dagger.toml
	// [env.<name>]), in file order; the one selected with Options.Env is
	// already applied to Dependencies.
	Envs []WorkspaceEnv `json:"envs,omitempty"`
}

// DuplicateKey is a key repeated in one JSON object: Pos is the
// occurrence that wins (the last), First the first one.
type DuplicateKey struct {
	Pos   Position `json:"pos"`
	Key   string   `json:"key"` // JSON path: dependencies[1].pin
	First Position `json:"first"`
}

// WorkspaceEnv is one environment overlay of a workspace file. Its
// Modules hold what the overlay sets: Source is empty for an entry that
// changes only the pin or settings of an installed module.
type WorkspaceEnv struct {
	Pos     Position     `json:"pos"`
	Name    string       `json:"name"`
	Modules []Dependency `json:"modules"`
}

// SDK is the module's SDK: a builtin name or a module source.
type SDK struct {
	Pos    Position `json:"pos"`
	Source string   `json:"source"`
	Pin    string   `json:"pin,omitempty"`
	// Form is how the file wrote it: "string", "object" or "table" (TOML).
	Form string `json:"form"`
	// Builtin is true for the SDKs shipped with the engine (go, python, ...).
	Builtin bool `json:"builtin"`
	// Local is true when Source is a path in the same repository.
	Local bool `json:"local"`
	// Remote is set when Source is a remote module reference.
	Remote *RemoteRef `json:"remote,omitempty"`
	// Pinned is true for a remote source pinned to a commit (a pin field
	// holding a commit id or an @<commit> ref).
	Pinned bool `json:"pinned"`
	// PinPos is where the value of a TOML pin key is written (nil: no pin
	// key), for pin, which edits it in place.
	PinPos *Position `json:"-"`
	// SourceSpan and PinSpan are the bytes of the TOML source and pin
	// values as written (nil: not recorded, as in an inline table), for
	// pin, which edits them in place.
	SourceSpan, PinSpan *ValueSpan `json:"-"`
}

// ValueSpan is the byte range [Off, End) of a TOML value as written in the
// file. Plain is true for a one-line basic ("...") or literal ('...')
// string, the only form pin rewrites.
type ValueSpan struct {
	Off, End int
	Plain    bool
}

// Dependency is a module dependency, toolchain or workspace module.
type Dependency struct {
	Pos Position `json:"pos"`
	// Kind is "dependency", "toolchain", "blueprint" or "workspace".
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Source string `json:"source"`
	Pin    string `json:"pin,omitempty"`
	// Legacy is true for the string form of dependencies.
	Legacy bool `json:"legacy,omitempty"`
	// Env names the workspace environment overlay that set this entry
	// (selected with Options.Env); empty for the base configuration.
	Env string `json:"env,omitempty"`
	// Local is true for sources that are paths in the same repository.
	Local bool `json:"local"`
	// Remote is set for remote sources.
	Remote *RemoteRef `json:"remote,omitempty"`
	// Pinned is true for a remote source pinned to a commit (a pin field
	// holding a commit id, or an @<40-hex> ref). A branch ref with a pin
	// is pinned; Remote.RefKind tells the floating intent apart.
	Pinned bool `json:"pinned"`
	// PinPos is where the value of a TOML pin key is written (nil: no pin
	// key), for pin, which edits it in place.
	PinPos *Position `json:"-"`
	// SourceSpan and PinSpan: as SDK's.
	SourceSpan, PinSpan *ValueSpan `json:"-"`
}

// RemoteRef is a parsed remote module source such as
// github.com/org/repo/sub/path@v1.2.3.
type RemoteRef struct {
	Host    string `json:"host"`
	Repo    string `json:"repo"`    // org/repo (without host)
	Subpath string `json:"subpath"` // path inside the repo, "" for the root
	Ref     string `json:"ref"`     // what follows @, "" when absent
	// RefKind is "commit" (40 hex), "tag", "branch" or "none".
	RefKind string `json:"refKind"`
	// CloneURL is the git URL the ref resolves against.
	CloneURL string `json:"cloneURL"`
}

// LockEntry is one entry of a dagger.lock file (version 1 or 2).
type LockEntry struct {
	Pos Position `json:"pos"`
	// Version is the lockfile version of the file, "1" or "2".
	Version string `json:"version"`
	// Namespace is the entry's first element ("" for the core API).
	Namespace string `json:"namespace"`
	// Kind is the operation: container.from or git.ref (what Dagger
	// writes), git.head/git.branch/git.tag (version 1), git-latest,
	// git-sha, oci-latest, oci-sha or vanity-url (workspace betas), or any
	// other operation name, kept as written.
	Kind string `json:"kind"`
	// Key holds the string inputs in order (container.from: [ref,
	// platform]; git.ref: [remote URL, selector]); numbers, booleans and
	// null keep their JSON text.
	Key []string `json:"key"`
	// Params are the [name, value] pairs nested in the inputs
	// (["github.com/dagger/node", ["version", "v0.2.0"]]).
	Params map[string]string `json:"params,omitempty"`
	// Value is the resolved value: a digest, a commit (the sha of a
	// git.ref {ref, sha} value) or a string.
	Value string `json:"value"`
	// Ref is the canonical ref of a git.ref value, when recorded.
	Ref string `json:"ref,omitempty"`
	// Policy is the version 1 policy, "pin" or "float"; empty in version 2.
	Policy string `json:"policy,omitempty"`
	// Floating is true when the entry does not pin what it names: a
	// version 1 "float" policy, an image without a digest, a git lookup
	// without a commit, or a git-latest/oci-latest resolution without its
	// git-sha/oci-sha entry.
	Floating bool `json:"floating"`
}

// SpecFile is a pinline.yaml found in the repository.
type SpecFile struct {
	Path string     `json:"path"`
	Spec *spec.Spec `json:"spec"`
}

// ImageRef is a container image reference.
type ImageRef struct {
	Pos Position `json:"pos"`
	// Origin is where it was found: "spec", "lock", "dagger.json", "go",
	// "python" or "typescript".
	Origin string `json:"origin"`
	// Via says how: "from", "const", "default", "annotated", "param",
	// "image", "oci-sha", ...
	Via string `json:"via,omitempty"`
	// Name is the logical name (spec image name, lock key) when there is one.
	Name       string `json:"name,omitempty"`
	Ref        string `json:"ref"`
	Registry   string `json:"registry"`
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest,omitempty"`
	// Literal is where the whole reference is written as one string
	// literal when that is not Pos: the constant an image used at Pos
	// comes from (Name names it). pin writes digests there.
	Literal *Position `json:"literal,omitempty"`
}

// Unresolved is an image reference that cannot be resolved statically.
type Unresolved struct {
	Pos    Position `json:"pos"`
	Origin string   `json:"origin"`
	Expr   string   `json:"expr"`
	Reason string   `json:"reason"`
}
