package policy

import "github.com/open-policy-agent/opa/v1/ast"

// Value converts the input document to an OPA value directly, without a
// JSON round trip; it yields exactly what json.Marshal of the Input would
// (TestInputValueMatchesJSON holds it to that).
func (in *Input) Value() ast.Value {
	items := []kv{
		{"inputVersion", ast.IntNumberTerm(in.InputVersion)},
		{"tier", ast.StringTerm(in.Tier)},
		{"config", obj(
			kv{"moduleAllowlist", strs(in.Config.ModuleAllowlist)},
			kv{"registryAllowlist", strs(in.Config.RegistryAllowlist)})},
		{"files", strs(in.Files)},
		{"modules", arr(in.Modules, func(m InModule) *ast.Term { return m.term() })},
		{"locks", arr(in.Locks, func(l InLock) *ast.Term {
			key := make([]*ast.Term, len(l.Key))
			for i, k := range l.Key {
				key[i] = ast.NewTerm(ast.MustInterfaceToValue(k))
			}
			return obj(kv{"pos", posTerm(l.Pos)}, kv{"kind", s(l.Kind)}, kv{"key", ast.ArrayTerm(key...)}, kv{"value", s(l.Value)})
		})},
		{"images", arr(in.Images, func(i InImage) *ast.Term {
			return obj(kv{"pos", posTerm(i.Pos)}, kv{"origin", s(i.Origin)}, kv{"via", s(i.Via)}, kv{"name", s(i.Name)},
				kv{"ref", s(i.Ref)}, kv{"registry", s(i.Registry)}, kv{"repository", s(i.Repository)},
				kv{"tag", s(i.Tag)}, kv{"digest", s(i.Digest)})
		})},
		{"specs", arr(in.Specs, func(sp InSpec) *ast.Term { return sp.term() })},
		{"unresolved", arr(in.Unresolved, func(u InUnresolved) *ast.Term {
			return obj(kv{"pos", posTerm(u.Pos)}, kv{"origin", s(u.Origin)}, kv{"expr", s(u.Expr)}, kv{"reason", s(u.Reason)})
		})},
	}
	if in.Run != nil {
		items = append(items, kv{"run", obj(kv{"backend", s(in.Run.Backend)}, kv{"pos", posTerm(in.Run.Pos)})})
	}
	return obj(items...).Value
}

type kv struct {
	k string
	v *ast.Term
}

func obj(items ...kv) *ast.Term {
	o := make([][2]*ast.Term, len(items))
	for i, it := range items {
		o[i] = [2]*ast.Term{ast.StringTerm(it.k), it.v}
	}
	return ast.ObjectTerm(o...)
}

func s(v string) *ast.Term { return ast.StringTerm(v) }

func b(v bool) *ast.Term { return ast.BooleanTerm(v) }

func strs(v []string) *ast.Term {
	ts := make([]*ast.Term, len(v))
	for i, x := range v {
		ts[i] = ast.StringTerm(x)
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

func posTerm(p Pos) *ast.Term {
	return obj(kv{"file", s(p.File)}, kv{"line", ast.IntNumberTerm(p.Line)}, kv{"column", ast.IntNumberTerm(p.Column)})
}

func (r *InRemote) items() []kv {
	return []kv{{"module", s(r.Module)}, {"host", s(r.Host)}, {"repo", s(r.Repo)}, {"subpath", s(r.Subpath)},
		{"ref", s(r.Ref)}, {"refKind", s(r.RefKind)}}
}

func (m InModule) term() *ast.Term {
	items := []kv{{"pos", posTerm(m.Pos)}, {"format", s(m.Format)}, {"name", s(m.Name)},
		{"engineVersion", s(m.EngineVersion)}, {"engineVersionPos", posTerm(m.EngineVersionPos)}}
	if m.SDK != nil {
		sdk := []kv{{"pos", posTerm(m.SDK.Pos)}, {"source", s(m.SDK.Source)}, {"pin", s(m.SDK.Pin)}, {"builtin", b(m.SDK.Builtin)}}
		if m.SDK.Remote != nil {
			sdk = append(sdk, kv{"remote", obj(m.SDK.Remote.items()...)})
		}
		items = append(items, kv{"sdk", obj(sdk...)})
	}
	items = append(items, kv{"dependencies", arr(m.Dependencies, func(d InDep) *ast.Term {
		it := []kv{{"pos", posTerm(d.Pos)}, {"kind", s(d.Kind)}, {"name", s(d.Name)}, {"source", s(d.Source)},
			{"pin", s(d.Pin)}, {"legacy", b(d.Legacy)}, {"local", b(d.Local)}}
		if d.Remote != nil {
			it = append(it, kv{"remote", obj(d.Remote.items()...)})
		}
		return obj(it...)
	})})
	return obj(items...)
}

func (sp InSpec) term() *ast.Term {
	return obj(kv{"path", s(sp.Path)}, kv{"name", s(sp.Name)}, kv{"pos", posTerm(sp.Pos)},
		kv{"tasks", arr(sp.Tasks, func(t InTask) *ast.Term {
			return obj(kv{"name", s(t.Name)}, kv{"pos", posTerm(t.Pos)}, kv{"image", s(t.Image)}, kv{"from", s(t.From)},
				kv{"mounts", arr(t.Mounts, func(m InMount) *ast.Term {
					return obj(kv{"pos", posTerm(m.Pos)}, kv{"source", s(m.Source)}, kv{"target", s(m.Target)},
						kv{"resolved", s(m.Resolved)}, kv{"readOnly", b(m.ReadOnly)})
				})},
				kv{"secrets", arr(t.Secrets, func(x InSecret) *ast.Term {
					return obj(kv{"pos", posTerm(x.Pos)}, kv{"name", s(x.Name)}, kv{"literal", b(x.Literal)},
						kv{"fromEnv", s(x.FromEnv)}, kv{"fromFile", s(x.File)}, kv{"fromCommand", b(x.Command)})
				})},
				kv{"env", arr(t.Env, func(e InEnv) *ast.Term {
					return obj(kv{"name", s(e.Name)}, kv{"literal", b(e.Literal)})
				})})
		})})
}
