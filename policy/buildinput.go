package policy

import (
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/spec"
)

// InputOptions are the parts of the input that do not come from the
// inventory.
type InputOptions struct {
	// Tier is the trust tier the check or run is for.
	Tier string
	// Run is set by pinline run.
	Run *RunInfo
	// Config is the parsed .pinline/policy.yaml (nil: none).
	Config *Config
	// Now is the evaluation time (zero: the input carries the zero time).
	Now time.Time
	// LockAdded are the dagger.lock entries a run added; Frozen denies
	// them (pinline run --frozen).
	LockAdded []inventory.LockEntry
	Frozen    bool
}

// BuildInput turns an inventory into the policy input document.
func BuildInput(inv *inventory.Inventory, opts InputOptions) *Input {
	in := &Input{
		InputVersion: InputVersion, Tier: opts.Tier, Run: opts.Run, Evaluation: NewInputEvaluation(opts.Now),
		Config: InputConfig{ModuleAllowlist: []string{}, RegistryAllowlist: []string{}, PublishAllowlist: []string{}},
		Files:  nonNil(inv.Files), Modules: []InModule{}, Locks: []InLock{},
		Images: []InImage{}, Specs: []InSpec{}, Unresolved: []InUnresolved{}, Lints: []InLint{},
		Env: inv.Env, UserOverrides: []InUserOverride{}, LockAdded: []InLock{}, Frozen: opts.Frozen,
	}
	if opts.Run != nil {
		r := *opts.Run
		r.PushRemotes = nonNil(r.PushRemotes)
		calls := make([]InCall, 0, len(r.Calls))
		for _, c := range r.Calls {
			c.Args = nonNil(c.Args)
			calls = append(calls, c)
		}
		r.Calls = calls
		in.Run = &r
	}
	for _, u := range inv.UserOverrides {
		in.UserOverrides = append(in.UserOverrides, InUserOverride(u))
	}
	for _, l := range opts.LockAdded {
		in.LockAdded = append(in.LockAdded, inLock(l))
	}
	if c := opts.Config; c != nil {
		in.Config.ModuleAllowlist = nonNil(c.ModuleAllowlist)
		in.Config.RegistryAllowlist = nonNil(c.RegistryAllowlist)
		in.Config.PublishAllowlist = nonNil(c.PublishAllowlist)
	}
	in.DuplicateKeys = []InDuplicateKey{}
	for _, m := range inv.Modules {
		in.Modules = append(in.Modules, inModule(m))
		in.DuplicateKeys = append(in.DuplicateKeys, m.DuplicateKeys...)
	}
	for _, l := range inv.Locks {
		in.Locks = append(in.Locks, inLock(l))
	}
	for _, im := range inv.Images {
		in.Images = append(in.Images, InImage{Pos: im.Pos, Origin: im.Origin, Via: im.Via, Name: im.Name,
			Ref: im.Ref, Registry: im.Registry, Repository: im.Repository, Tag: im.Tag, Digest: im.Digest})
	}
	for _, sf := range inv.Specs {
		in.Specs = append(in.Specs, inSpec(inv.Root, sf))
	}
	in.Unresolved = append(in.Unresolved, inv.Unresolved...)
	in.Lints = append(in.Lints, inv.Lints...)
	return in
}

func inModule(m inventory.Module) InModule {
	out := InModule{Pos: m.Pos, Format: m.Format, Name: m.Name, EngineVersion: m.EngineVersion,
		EngineVersionPos: m.EngineVerPos, Dependencies: []InDep{}}
	if out.EngineVersionPos.Line == 0 {
		out.EngineVersionPos = m.Pos
	}
	if s := m.SDK; s != nil {
		out.SDK = &InSDK{Pos: s.Pos, Source: s.Source, Pin: s.Pin, Builtin: s.Builtin, Remote: inRemote(s.Remote)}
	}
	for _, d := range m.Dependencies {
		out.Dependencies = append(out.Dependencies, InDep{Pos: d.Pos, Kind: d.Kind, Name: d.Name,
			Source: d.Source, Pin: d.Pin, Legacy: d.Legacy, Local: d.Local, Remote: inRemote(d.Remote)})
	}
	return out
}

func inRemote(r *inventory.RemoteRef) *InRemote {
	if r == nil {
		return nil
	}
	mod := strings.TrimSuffix(r.Host+"/"+r.Repo, "/")
	if sub := strings.Trim(r.Subpath, "/"); sub != "" {
		mod += "/" + sub
	}
	return &InRemote{Module: mod, Host: r.Host, Repo: r.Repo, Subpath: r.Subpath, Ref: r.Ref, RefKind: r.RefKind}
}

func inSpec(root string, sf inventory.SpecFile) InSpec {
	out := InSpec{Path: sf.Path, Tasks: []InTask{}, Env: []InEnv{}, Services: []InService{}}
	s := sf.Spec
	if s == nil {
		return out
	}
	at := func(p spec.Pos) Pos { return Pos{File: sf.Path, Line: p.Line, Column: p.Column} }
	out.Name, out.Pos = s.Name, at(s.Pos)
	dir := path.Dir(sf.Path)
	for _, t := range s.Tasks {
		it := InTask{Name: t.Name, Pos: at(t.Pos), Image: t.Image, From: t.From,
			Mounts: []InMount{}, Secrets: []InSecret{}, Env: []InEnv{}, Publish: []InPublish{}}
		for _, o := range t.Outputs {
			if o.Type == spec.OutputImage {
				repo := o.Ref
				if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
					repo = repo[:i]
				}
				it.Publish = append(it.Publish, InPublish{Pos: at(o.Pos), Ref: o.Ref, Repository: repo})
			}
		}
		for _, m := range t.Mounts {
			it.Mounts = append(it.Mounts, InMount{Pos: at(m.Pos), Source: m.Source, Target: m.Target,
				Resolved: realMount(root, resolveMount(dir, m.Source)), ReadOnly: m.ReadOnly})
		}
		for _, sec := range t.Secrets {
			it.Secrets = append(it.Secrets, InSecret{Pos: at(sec.Pos), Name: sec.Name, Literal: sec.Value != "",
				FromEnv: sec.From.Env, File: sec.From.File, Command: len(sec.From.Command) > 0})
		}
		it.Env = inEnv(t.Env)
		it.Services, it.Matrix = []string{}, []InAxis{}
		for _, b := range t.Services {
			it.Services = append(it.Services, b.Name)
		}
		if t.Matrix != nil {
			for _, a := range t.Matrix.Axes {
				it.Matrix = append(it.Matrix, InAxis{Name: a.Name, Values: nonNil(a.Values)})
			}
		}
		if t.Push != nil {
			it.Push = &InPush{Pos: at(t.Push.Pos), Remote: t.Push.Remote, Ref: t.Push.Ref()}
		}
		out.Tasks = append(out.Tasks, it)
	}
	out.Env = inEnv(s.Env)
	for _, name := range slices.Sorted(maps.Keys(s.Services)) {
		sv := s.Services[name]
		out.Services = append(out.Services, InService{Name: name, Pos: at(sv.Pos), Image: sv.Image,
			Env: inEnv(sv.Env), Ports: nonNil(sv.Ports)})
	}
	return out
}

// inEnv lists environment variables by name, sorted; values are never
// copied, only whether one is set.
func inEnv(env map[string]string) []InEnv {
	out := make([]InEnv, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, InEnv{Name: k, Literal: env[k] != ""})
	}
	return out
}

// resolveMount returns the mount source relative to the repository root,
// cleaned. Absolute sources stay absolute (and escape).
func resolveMount(specDir, src string) string {
	src = strings.ReplaceAll(src, "\\", "/")
	if src == "" {
		src = "."
	}
	if path.IsAbs(src) || (len(src) > 1 && src[1] == ':') {
		return path.Clean("/" + strings.TrimPrefix(src, "/"))
	}
	return path.Clean(path.Join(specDir, src))
}

// realMount follows the symlinks of a lexically resolved mount source on
// the host (inventory.ResolveIn): a source inside the root stays relative
// (its real path), one that leads out becomes the absolute real path, which
// PL011 denies. Sources that escape lexically are returned unchanged.
func realMount(root, lexical string) string {
	if lexical == ".." || strings.HasPrefix(lexical, "../") || path.IsAbs(lexical) {
		return lexical
	}
	if root == "" {
		root = "."
	}
	real, inside := inventory.ResolveIn(root, filepath.FromSlash(lexical))
	if !inside {
		return filepath.ToSlash(real)
	}
	// real is under the root's real path, which is what ResolveIn of "."
	// returns.
	rootReal, _ := inventory.ResolveIn(root, ".")
	rel, err := filepath.Rel(rootReal, real)
	if err != nil {
		return filepath.ToSlash(real)
	}
	return filepath.ToSlash(rel)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func inLock(l inventory.LockEntry) InLock {
	key := make([]any, 0, len(l.Key))
	for _, k := range l.Key {
		key = append(key, k)
	}
	params := map[string]string{}
	maps.Copy(params, l.Params)
	return InLock{Pos: l.Pos, Version: l.Version, Namespace: l.Namespace, Kind: l.Kind,
		Key: key, Params: params, Value: l.Value, Ref: l.Ref, Policy: l.Policy, Floating: l.Floating}
}
