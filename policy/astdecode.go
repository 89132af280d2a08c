package policy

import (
	"encoding/binary"
	"errors"

	"github.com/open-policy-agent/opa/v1/ast"
)

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
