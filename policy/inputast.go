package policy

import (
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Value converts the input document to an OPA value directly, without a
// JSON round trip; it yields exactly what json.Marshal of the Input would
// (TestInputValueMatchesJSON holds it to that).
//
// The value is built on two cores: images on one goroutine, and the
// modules of a large repository split between two. Terms that repeat are
// shared instead of allocated again (object keys, empty strings, booleans,
// small numbers, the file name of consecutive positions); OPA never
// modifies an input value, and interns such terms itself.
func (in *Input) Value() ast.Value {
	var wg sync.WaitGroup
	var images *ast.Term
	wg.Go(func() {
		b := &builder{}
		images = arr(in.Images, func(i InImage) *ast.Term {
			return b.obj(kv{"pos", b.pos(i.Pos)}, kv{"origin", s(i.Origin)}, kv{"via", s(i.Via)}, kv{"name", s(i.Name)},
				kv{"ref", s(i.Ref)}, kv{"registry", s(i.Registry)}, kv{"repository", s(i.Repository)},
				kv{"tag", s(i.Tag)}, kv{"digest", s(i.Digest)})
		})
	})
	modules := make([]*ast.Term, len(in.Modules))
	half := 0
	if len(in.Modules) >= parallelModules {
		half = len(in.Modules) / 2
		wg.Go(func() {
			b := &builder{}
			for i, m := range in.Modules[:half] {
				modules[i] = b.module(m)
			}
		})
	}
	b := &builder{}
	for i, m := range in.Modules[half:] {
		modules[half+i] = b.module(m)
	}
	items := []kv{
		{"inputVersion", num(in.InputVersion)},
		{"tier", s(in.Tier)},
		{"evaluation", b.obj(kv{"time", s(in.Evaluation.Time)}, kv{"timeNs", ast.NewTerm(ast.Number(strconv.FormatInt(in.Evaluation.TimeNs, 10)))})},
		{"config", b.obj(
			kv{"moduleAllowlist", strs(in.Config.ModuleAllowlist)},
			kv{"registryAllowlist", strs(in.Config.RegistryAllowlist)},
			kv{"publishAllowlist", strs(in.Config.PublishAllowlist)})},
		{"files", strs(in.Files)},
		{"modules", nil}, // filled in below, once the other half is built
		{"locks", arr(in.Locks, b.lock)},
		{"specs", arr(in.Specs, b.spec)},
		{"unresolved", arr(in.Unresolved, func(u InUnresolved) *ast.Term {
			return b.obj(kv{"pos", b.pos(u.Pos)}, kv{"origin", s(u.Origin)}, kv{"expr", s(u.Expr)}, kv{"reason", s(u.Reason)})
		})},
		{"lints", arr(in.Lints, func(l InLint) *ast.Term {
			items := []kv{{"pos", b.pos(l.Pos)}, {"origin", s(l.Origin)}, {"kind", s(l.Kind)}, {"expr", s(l.Expr)}}
			if l.Name != "" {
				items = append(items, kv{"name", s(l.Name)})
			}
			return b.obj(items...)
		})},
		{"env", s(in.Env)},
		{"userOverrides", arr(in.UserOverrides, b.userOverride)},
		{"lockAdded", arr(in.LockAdded, b.lock)},
		{"frozen", ast.BooleanTerm(in.Frozen)},
		{"duplicateKeys", arr(in.DuplicateKeys, func(d InDuplicateKey) *ast.Term {
			return b.obj(kv{"pos", b.pos(d.Pos)}, kv{"key", s(d.Key)}, kv{"first", b.pos(d.First)})
		})},
	}
	if in.Run != nil {
		items = append(items, kv{"run", b.obj(kv{"backend", s(in.Run.Backend)}, kv{"pos", b.pos(in.Run.Pos)},
			kv{"pushRemotes", strs(in.Run.PushRemotes)}, kv{"calls", arr(in.Run.Calls, b.call)})})
	}
	wg.Wait()
	items[5].v = ast.ArrayTerm(modules...)
	items = append(items, kv{"images", images})
	return b.obj(items...).Value
}

func (b *builder) call(c InCall) *ast.Term {
	return b.obj(kv{"pos", b.pos(c.Pos)}, kv{"task", s(c.Task)}, kv{"fromSpec", ast.BooleanTerm(c.FromSpec)},
		kv{"module", s(c.Module)}, kv{"moduleOutside", s(c.ModuleOutside)},
		kv{"args", arr(c.Args, func(a InCallArg) *ast.Term {
			return b.obj(kv{"name", s(a.Name)}, kv{"arg", s(a.Arg)}, kv{"secret", ast.BooleanTerm(a.Secret)},
				kv{"reaches", s(a.Reaches)}, kv{"outside", s(a.Outside)})
		})})
}

// parallelModules is the number of modules from which Value builds them
// on two goroutines.
const parallelModules = 64

// keyTerms are the object keys of the input document, allocated once
// (read-only after package initialisation).
var keyTerms = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, k := range []string{
		"inputVersion", "tier", "config", "moduleAllowlist", "registryAllowlist", "files", "modules",
		"locks", "specs", "unresolved", "lints", "images", "run", "backend",
		"pos", "file", "line", "column", "origin", "via", "name", "ref", "registry", "repository", "tag",
		"digest", "kind", "key", "value", "expr", "reason", "module", "host", "repo", "subpath", "refKind",
		"format", "engineVersion", "engineVersionPos", "sdk", "source", "pin", "builtin", "remote",
		"dependencies", "legacy", "local", "path", "tasks", "image", "from", "mounts", "target",
		"resolved", "readOnly", "secrets", "literal", "fromEnv", "fromFile", "fromCommand", "env",
		"publish", "publishAllowlist",
	} {
		m[k] = ast.StringTerm(k)
	}
	return m
}()

type kv struct {
	k string
	v *ast.Term
}

// builder builds terms on one goroutine; it remembers the term of the
// last file name, which positions of the same file share.
type builder struct {
	file     string
	fileTerm *ast.Term
}

func (*builder) obj(items ...kv) *ast.Term {
	o := make([][2]*ast.Term, len(items))
	for i, it := range items {
		k, ok := keyTerms[it.k]
		if !ok {
			k = ast.StringTerm(it.k)
		}
		o[i] = [2]*ast.Term{k, it.v}
	}
	return ast.ObjectTerm(o...)
}

func s(v string) *ast.Term {
	if v == "" {
		return ast.InternedEmptyString
	}
	return ast.StringTerm(v)
}

func b(v bool) *ast.Term { return ast.InternedTerm(v) }

func num(v int) *ast.Term { return ast.InternedTerm(v) }

func strs(v []string) *ast.Term {
	ts := make([]*ast.Term, len(v))
	for i, x := range v {
		ts[i] = s(x)
	}
	return ast.ArrayTerm(ts...)
}

func arr[T any](v []T, f func(T) *ast.Term) *ast.Term {
	ts := make([]*ast.Term, len(v))
	for i, x := range v {
		ts[i] = f(x)
	}
	return ast.ArrayTerm(ts...)
}

func (bd *builder) pos(p Pos) *ast.Term {
	if bd.fileTerm == nil || p.File != bd.file {
		bd.file, bd.fileTerm = p.File, s(p.File)
	}
	return bd.obj(kv{"file", bd.fileTerm}, kv{"line", num(p.Line)}, kv{"column", num(p.Column)})
}

func (bd *builder) remote(r *InRemote) *ast.Term {
	return bd.obj(kv{"module", s(r.Module)}, kv{"host", s(r.Host)}, kv{"repo", s(r.Repo)}, kv{"subpath", s(r.Subpath)},
		kv{"ref", s(r.Ref)}, kv{"refKind", s(r.RefKind)})
}

func (bd *builder) module(m InModule) *ast.Term {
	items := []kv{{"pos", bd.pos(m.Pos)}, {"format", s(m.Format)}, {"name", s(m.Name)},
		{"engineVersion", s(m.EngineVersion)}, {"engineVersionPos", bd.pos(m.EngineVersionPos)}}
	if m.SDK != nil {
		sdk := []kv{{"pos", bd.pos(m.SDK.Pos)}, {"source", s(m.SDK.Source)}, {"pin", s(m.SDK.Pin)}, {"builtin", b(m.SDK.Builtin)}}
		if m.SDK.Remote != nil {
			sdk = append(sdk, kv{"remote", bd.remote(m.SDK.Remote)})
		}
		items = append(items, kv{"sdk", bd.obj(sdk...)})
	}
	items = append(items, kv{"dependencies", arr(m.Dependencies, func(d InDep) *ast.Term {
		it := []kv{{"pos", bd.pos(d.Pos)}, {"kind", s(d.Kind)}, {"name", s(d.Name)}, {"source", s(d.Source)},
			{"pin", s(d.Pin)}, {"legacy", b(d.Legacy)}, {"local", b(d.Local)}}
		if d.Remote != nil {
			it = append(it, kv{"remote", bd.remote(d.Remote)})
		}
		return bd.obj(it...)
	})})
	return bd.obj(items...)
}

func (bd *builder) spec(sp InSpec) *ast.Term {
	env := func(e InEnv) *ast.Term { return bd.obj(kv{"name", s(e.Name)}, kv{"literal", b(e.Literal)}) }
	return bd.obj(kv{"path", s(sp.Path)}, kv{"name", s(sp.Name)}, kv{"pos", bd.pos(sp.Pos)},
		kv{"env", arr(sp.Env, env)},
		kv{"services", arr(sp.Services, func(sv InService) *ast.Term {
			return bd.obj(kv{"name", s(sv.Name)}, kv{"pos", bd.pos(sv.Pos)}, kv{"image", s(sv.Image)},
				kv{"env", arr(sv.Env, env)}, kv{"ports", arr(sv.Ports, num)})
		})},
		kv{"tasks", arr(sp.Tasks, func(t InTask) *ast.Term {
			items := []kv{{"name", s(t.Name)}, {"pos", bd.pos(t.Pos)}, {"image", s(t.Image)}, {"from", s(t.From)},
				{"mounts", arr(t.Mounts, func(m InMount) *ast.Term {
					return bd.obj(kv{"pos", bd.pos(m.Pos)}, kv{"source", s(m.Source)}, kv{"target", s(m.Target)},
						kv{"resolved", s(m.Resolved)}, kv{"readOnly", b(m.ReadOnly)})
				})},
				{"secrets", arr(t.Secrets, func(x InSecret) *ast.Term {
					return bd.obj(kv{"pos", bd.pos(x.Pos)}, kv{"name", s(x.Name)}, kv{"literal", b(x.Literal)},
						kv{"fromEnv", s(x.FromEnv)}, kv{"fromFile", s(x.File)}, kv{"fromCommand", b(x.Command)})
				})},
				{"env", arr(t.Env, env)},
				{"publish", arr(t.Publish, func(p InPublish) *ast.Term {
					return bd.obj(kv{"pos", bd.pos(p.Pos)}, kv{"ref", s(p.Ref)}, kv{"repository", s(p.Repository)})
				})},
				{"services", strs(t.Services)},
				{"matrix", arr(t.Matrix, func(a InAxis) *ast.Term {
					return bd.obj(kv{"name", s(a.Name)}, kv{"values", strs(a.Values)})
				})}}
			if p := t.Push; p != nil {
				items = append(items, kv{"push", bd.obj(kv{"pos", bd.pos(p.Pos)}, kv{"remote", s(p.Remote)}, kv{"ref", s(p.Ref)})})
			}
			return bd.obj(items...)
		})})
}

func (b *builder) lock(l InLock) *ast.Term {
	key := make([]*ast.Term, len(l.Key))
	for i, k := range l.Key {
		key[i] = ast.NewTerm(ast.MustInterfaceToValue(k))
	}
	params := make([]kv, 0, len(l.Params))
	for _, k := range slices.Sorted(maps.Keys(l.Params)) {
		params = append(params, kv{k, s(l.Params[k])})
	}
	return b.obj(kv{"pos", b.pos(l.Pos)}, kv{"version", s(l.Version)}, kv{"namespace", s(l.Namespace)},
		kv{"kind", s(l.Kind)}, kv{"key", ast.ArrayTerm(key...)}, kv{"params", b.obj(params...)},
		kv{"value", s(l.Value)}, kv{"ref", s(l.Ref)}, kv{"policy", s(l.Policy)},
		kv{"floating", ast.BooleanTerm(l.Floating)})
}

func (b *builder) userOverride(u InUserOverride) *ast.Term {
	return b.obj(kv{"pos", b.pos(u.Pos)}, kv{"workspace", s(u.Workspace)}, kv{"env", s(u.Env)}, kv{"module", s(u.Module)},
		kv{"source", s(u.Source)}, kv{"pin", s(u.Pin)}, kv{"settings", ast.BooleanTerm(u.Settings)})
}
