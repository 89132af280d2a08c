package policy

import (
	"encoding/binary"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
)

type astEncoder struct {
	buf     []byte
	strings map[string]int
	table   []string
	err     error
}

func (e *astEncoder) uint(n int) { e.buf = binary.AppendUvarint(e.buf, uint64(n)) }
func (e *astEncoder) bool(b bool) {
	if b {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

func (e *astEncoder) str(s string) {
	i, ok := e.strings[s]
	if !ok {
		i = len(e.table)
		e.strings[s] = i
		e.table = append(e.table, s)
	}
	e.uint(i)
}

func (e *astEncoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("precompile: "+format, args...)
	}
}

func (e *astEncoder) loc(l *ast.Location) {
	if l == nil {
		e.bool(false)
		return
	}
	e.bool(true)
	e.str(l.File)
	e.uint(l.Row)
	e.uint(l.Col)
}

func (e *astEncoder) terms(ts []*ast.Term) {
	e.uint(len(ts))
	for _, t := range ts {
		e.term(t)
	}
}

func (e *astEncoder) term(t *ast.Term) {
	if t == nil {
		e.buf = append(e.buf, tagNil)
		return
	}
	e.value(t.Value)
	e.loc(t.Location)
}

func (e *astEncoder) value(v ast.Value) {
	switch v := v.(type) {
	case ast.Null:
		e.buf = append(e.buf, tagNull)
	case ast.Boolean:
		if v {
			e.buf = append(e.buf, tagTrue)
		} else {
			e.buf = append(e.buf, tagFalse)
		}
	case ast.Number:
		e.buf = append(e.buf, tagNumber)
		e.str(string(v))
	case ast.String:
		e.buf = append(e.buf, tagString)
		e.str(string(v))
	case ast.Var:
		e.buf = append(e.buf, tagVar)
		e.str(string(v))
	case ast.Ref:
		e.buf = append(e.buf, tagRef)
		e.terms(v)
	case *ast.Array:
		e.buf = append(e.buf, tagArray)
		e.uint(v.Len())
		for i := range v.Len() {
			e.term(v.Elem(i))
		}
	case ast.Object:
		e.buf = append(e.buf, tagObject)
		keys := v.Keys()
		e.uint(len(keys))
		for _, k := range keys {
			e.term(k)
			e.term(v.Get(k))
		}
	case ast.Set:
		e.buf = append(e.buf, tagSet)
		e.terms(v.Slice())
	case *ast.ArrayComprehension:
		e.buf = append(e.buf, tagArrayCompr)
		e.term(v.Term)
		e.body(v.Body)
	case *ast.ObjectComprehension:
		e.buf = append(e.buf, tagObjectCompr)
		e.term(v.Key)
		e.term(v.Value)
		e.body(v.Body)
	case *ast.SetComprehension:
		e.buf = append(e.buf, tagSetCompr)
		e.term(v.Term)
		e.body(v.Body)
	case ast.Call:
		e.buf = append(e.buf, tagCall)
		e.terms(v)
	default:
		e.fail("value %T (%v) has no binary form", v, v)
		e.buf = append(e.buf, tagNil)
	}
}

func (e *astEncoder) body(b ast.Body) {
	e.uint(len(b))
	for _, x := range b {
		e.expr(x)
	}
}

func (e *astEncoder) expr(x *ast.Expr) {
	e.uint(x.Index)
	e.bool(x.Generated)
	e.bool(x.Negated)
	e.loc(x.Location)
	e.uint(len(x.With))
	for _, w := range x.With {
		e.term(w.Target)
		e.term(w.Value)
		e.loc(w.Location)
	}
	switch t := x.Terms.(type) {
	case *ast.Term:
		e.buf = append(e.buf, tagTerm)
		e.term(t)
	case []*ast.Term:
		e.buf = append(e.buf, tagTerms)
		e.terms(t)
	case *ast.SomeDecl:
		e.buf = append(e.buf, tagSomeDecl)
		e.terms(t.Symbols)
		e.loc(t.Location)
	case *ast.Every:
		e.buf = append(e.buf, tagEvery)
		e.term(t.Key)
		e.term(t.Value)
		e.term(t.Domain)
		e.body(t.Body)
		e.loc(t.Location)
	default:
		e.fail("expression terms %T have no binary form", t)
		e.buf = append(e.buf, tagNil)
	}
}

func (e *astEncoder) rule(r *ast.Rule) {
	if r == nil {
		e.bool(false)
		return
	}
	e.bool(true)
	if len(r.Annotations) > 0 {
		e.fail("rule annotations have no binary form")
	}
	h := r.Head
	e.str(string(h.Name))
	e.terms(h.Reference)
	e.terms(h.Args)
	e.term(h.Key)
	e.term(h.Value)
	e.bool(h.Assign)
	e.loc(h.Location)
	e.body(r.Body)
	e.bool(r.Default)
	e.loc(r.Location)
	e.rule(r.Else)
}

// encodeModules writes modules (in the given name order) in the binary
// form: a string table, then the modules.
func encodeModules(names []string, mods map[string]*ast.Module) ([]byte, error) {
	e := &astEncoder{strings: map[string]int{}}
	e.uint(len(names))
	for _, name := range names {
		m := mods[name]
		if len(m.Imports) > 0 {
			e.fail("%s: imports have no binary form (the compiler removes them)", name)
		}
		e.str(name)
		span := m.RegoVersionSpan()
		e.uint(int(span.Min()))
		e.uint(int(span.Max()))
		e.terms(m.Package.Path)
		e.loc(m.Package.Location)
		e.uint(len(m.Rules))
		for _, r := range m.Rules {
			e.rule(r)
		}
	}
	if e.err != nil {
		return nil, e.err
	}
	var out []byte
	out = binary.AppendUvarint(out, uint64(len(e.table)))
	for _, s := range e.table {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return append(out, e.buf...), nil
}
