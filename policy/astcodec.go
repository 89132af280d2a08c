package policy

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
)

// A compact binary form of compiled Rego modules, for precompiled.bin:
// decoding it is a small fraction of parsing and compiling the sources
// (OPA's own JSON form of the AST decodes slower than the sources parse).
// It covers the node types the compiler leaves in a module; encoding
// anything else is an error, so `go generate` fails instead of writing a
// file that would lose something. Comments and annotations are not kept
// (the compiler has already rewritten rego.metadata calls, and nothing
// evaluates them); locations are kept as file, row and column.

// Node tags.
const (
	tagNil byte = iota
	tagNull
	tagFalse
	tagTrue
	tagNumber
	tagString
	tagVar
	tagRef
	tagArray
	tagObject
	tagSet
	tagArrayCompr
	tagObjectCompr
	tagSetCompr
	tagCall
	// Expr.Terms shapes.
	tagTerm
	tagTerms
	tagSomeDecl
	tagEvery
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

type astDecoder struct {
	buf   []byte
	table []string
	err   error
}

var errCorrupt = errors.New("precompiled policies: corrupt binary form")

func (d *astDecoder) uint() int {
	n, k := binary.Uvarint(d.buf)
	if k <= 0 || n > uint64(len(d.buf))*8+1<<20 {
		d.err, d.buf = errCorrupt, nil
		return 0
	}
	d.buf = d.buf[k:]
	return int(n)
}

func (d *astDecoder) byte() byte {
	if len(d.buf) == 0 {
		d.err = errCorrupt
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *astDecoder) bool() bool { return d.byte() == 1 }

func (d *astDecoder) str() string {
	i := d.uint()
	if i >= len(d.table) {
		d.err = errCorrupt
		return ""
	}
	return d.table[i]
}

func (d *astDecoder) loc() *ast.Location {
	if !d.bool() {
		return nil
	}
	return &ast.Location{File: d.str(), Row: d.uint(), Col: d.uint()}
}

func (d *astDecoder) terms() []*ast.Term {
	n := d.uint()
	if d.err != nil {
		return nil
	}
	ts := make([]*ast.Term, n)
	for i := range ts {
		ts[i] = d.term()
	}
	return ts
}

func (d *astDecoder) term() *ast.Term {
	if d.err != nil {
		return nil
	}
	tag := d.byte()
	if tag == tagNil {
		return nil
	}
	v := d.value(tag)
	return &ast.Term{Value: v, Location: d.loc()}
}

func (d *astDecoder) value(tag byte) ast.Value {
	switch tag {
	case tagNull:
		return ast.Null{}
	case tagFalse:
		return ast.Boolean(false)
	case tagTrue:
		return ast.Boolean(true)
	case tagNumber:
		return ast.Number(d.str())
	case tagString:
		return ast.String(d.str())
	case tagVar:
		return ast.Var(d.str())
	case tagRef:
		return ast.Ref(d.terms())
	case tagArray:
		ts := d.terms()
		if !d.whole(ts...) {
			return ast.Null{}
		}
		return ast.NewArray(ts...)
	case tagObject:
		n := d.uint()
		if d.err != nil {
			return ast.Null{}
		}
		pairs := make([][2]*ast.Term, n)
		for i := range pairs {
			if pairs[i] = [2]*ast.Term{d.term(), d.term()}; !d.whole(pairs[i][:]...) {
				return ast.Null{}
			}
		}
		return ast.NewObject(pairs...)
	case tagSet:
		ts := d.terms()
		if !d.whole(ts...) {
			return ast.Null{}
		}
		return ast.NewSet(ts...)
	case tagArrayCompr:
		return &ast.ArrayComprehension{Term: d.term(), Body: d.body()}
	case tagObjectCompr:
		return &ast.ObjectComprehension{Key: d.term(), Value: d.term(), Body: d.body()}
	case tagSetCompr:
		return &ast.SetComprehension{Term: d.term(), Body: d.body()}
	case tagCall:
		return ast.Call(d.terms())
	}
	d.err = errCorrupt
	return ast.Null{}
}

// whole reports whether decoding went well so far and ts has no nil term
// (collections hash their elements).
func (d *astDecoder) whole(ts ...*ast.Term) bool {
	for _, t := range ts {
		if t == nil && d.err == nil {
			d.err = errCorrupt
		}
	}
	return d.err == nil
}

func (d *astDecoder) body() ast.Body {
	n := d.uint()
	if d.err != nil {
		return nil
	}
	b := make(ast.Body, n)
	for i := range b {
		b[i] = d.expr()
	}
	return b
}

func (d *astDecoder) expr() *ast.Expr {
	x := &ast.Expr{Index: d.uint(), Generated: d.bool(), Negated: d.bool(), Location: d.loc()}
	if n := d.uint(); n > 0 && d.err == nil {
		x.With = make([]*ast.With, n)
		for i := range x.With {
			x.With[i] = &ast.With{Target: d.term(), Value: d.term(), Location: d.loc()}
		}
	}
	switch d.byte() {
	case tagTerm:
		x.Terms = d.term()
	case tagTerms:
		x.Terms = d.terms()
	case tagSomeDecl:
		x.Terms = &ast.SomeDecl{Symbols: d.terms(), Location: d.loc()}
	case tagEvery:
		x.Terms = &ast.Every{Key: d.term(), Value: d.term(), Domain: d.term(), Body: d.body(), Location: d.loc()}
	default:
		d.err = errCorrupt
	}
	return x
}

func (d *astDecoder) rule(m *ast.Module) *ast.Rule {
	if d.err != nil || !d.bool() {
		return nil
	}
	h := &ast.Head{Name: ast.Var(d.str()), Reference: d.terms(), Args: d.terms(), Key: d.term(), Value: d.term(),
		Assign: d.bool(), Location: d.loc()}
	if len(h.Reference) == 0 {
		h.Reference = nil
	}
	if len(h.Args) == 0 {
		h.Args = nil
	}
	r := &ast.Rule{Head: h, Body: d.body(), Default: d.bool(), Location: d.loc(), Module: m}
	r.Else = d.rule(m)
	return r
}

// decodeModules reads what encodeModules wrote.
func decodeModules(b []byte) (map[string]*ast.Module, error) {
	d := &astDecoder{buf: b}
	n := d.uint()
	if d.err == nil {
		d.table = make([]string, n)
		for i := range d.table {
			l := d.uint()
			if d.err != nil || l > len(d.buf) {
				return nil, errCorrupt
			}
			d.table[i], d.buf = string(d.buf[:l]), d.buf[l:]
		}
	}
	n = d.uint()
	mods := make(map[string]*ast.Module, n)
	for range n {
		if d.err != nil {
			break
		}
		name := d.str()
		m := &ast.Module{}
		lo, hi := ast.RegoVersion(d.uint()), ast.RegoVersion(d.uint())
		span := ast.RegoVersionSpanOf(lo)
		if lo != hi {
			var err error
			if span, err = ast.NewRegoVersionSpan(lo, hi); err != nil {
				return nil, errCorrupt
			}
		}
		m.SetRegoVersionSpan(span)
		m.Package = &ast.Package{Path: ast.Ref(d.terms()), Location: d.loc()}
		nr := d.uint()
		if d.err != nil {
			break
		}
		m.Rules = make([]*ast.Rule, nr)
		for i := range m.Rules {
			m.Rules[i] = d.rule(m)
		}
		mods[name] = m
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.buf) != 0 {
		return nil, errCorrupt
	}
	return mods, nil
}
