package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// tomlDoc is a decoded TOML document plus the position of every key path
// (elements joined by "\x00"; array-table entries are numbered).
type tomlDoc struct {
	file string
	root map[string]any
	pos  map[string]Position
	// first is, for every proper prefix of a key path in pos, the first
	// position under it (tables only defined through sub-tables or dotted
	// keys: [a.b.c] without [a.b]).
	first map[string]Position
	// spans are the bytes of every string value of a key/value line.
	spans map[string]*ValueSpan
}

// setPos records the position of a key path and of its prefixes' first
// descendant.
func (d *tomlDoc) setPos(keys []string, p Position) {
	d.pos[strings.Join(keys, "\x00")] = p
	for n := len(keys) - 1; n > 0; n-- {
		j := strings.Join(keys[:n], "\x00")
		if f, ok := d.first[j]; ok && (f.Line < p.Line || f.Line == p.Line && f.Column <= p.Column) {
			break
		}
		d.first[j] = p
	}
}

func parseTOML(file string, data []byte) (*tomlDoc, error) {
	doc := &tomlDoc{file: file, pos: map[string]Position{}, first: map[string]Position{}, spans: map[string]*ValueSpan{}}
	if err := toml.Unmarshal(data, &doc.root); err != nil {
		pe := &ParseError{File: file, Msg: "invalid TOML: " + err.Error()}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			pe.Line, pe.Column = de.Position()
		}
		return nil, pe
	}
	var p unstable.Parser
	p.Reset(data)
	var cur []string
	arrays := map[string]int{}
	keyOf := func(it unstable.Iterator) ([]string, *unstable.Node) {
		var ks []string
		var first *unstable.Node
		for it.Next() {
			if first == nil {
				first = it.Node()
			}
			ks = append(ks, string(it.Node().Data))
		}
		return ks, first
	}
	at := func(n *unstable.Node) Position {
		if n == nil || n.Raw.Length == 0 && n.Raw.Offset == 0 {
			return Position{File: file}
		}
		s := p.Shape(n.Raw)
		return Position{File: file, Line: s.Start.Line, Column: s.Start.Column}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			ks, first := keyOf(e.Key())
			cur = ks
			doc.setPos(cur, at(first))
		case unstable.ArrayTable:
			ks, first := keyOf(e.Key())
			j := strings.Join(ks, "\x00")
			cur = append(ks, strconv.Itoa(arrays[j]))
			arrays[j]++
			doc.setPos(cur, at(first))
		case unstable.KeyValue:
			ks, first := keyOf(e.Key())
			full := append(slices.Clone(cur), ks...)
			p := at(e.Value())
			if p.Line == 0 {
				p = at(first)
			}
			doc.setPos(full, p)
			if v := e.Value(); v.Kind == unstable.String && v.Raw.Length > 0 {
				off, end := int(v.Raw.Offset), int(v.Raw.Offset+v.Raw.Length)
				raw := data[off:end]
				plain := (raw[0] == '"' || raw[0] == '\'') && !bytes.HasPrefix(raw, []byte{raw[0], raw[0], raw[0]}) &&
					!bytes.ContainsAny(raw, "\r\n")
				doc.spans[strings.Join(full, "\x00")] = &ValueSpan{Off: off, End: end, Plain: plain}
			}
		}
	}
	return doc, nil
}

// at returns the position of a key path, falling back to its parents and
// then to the start of the file.
func (d *tomlDoc) at(keys ...string) Position {
	for n := len(keys); n > 0; n-- {
		j := strings.Join(keys[:n], "\x00")
		if p, ok := d.pos[j]; ok {
			return p
		}
		if p, ok := d.first[j]; ok {
			return p
		}
	}
	return Position{File: d.file, Line: 1, Column: 1}
}

// pinPos is the position of the value of a pin key that the table holds:
// exactly that key path, or a Position without a line when the key is
// written where positions are not recorded (an inline table).
func (d *tomlDoc) pinPos(keys ...string) *Position {
	if p, ok := d.pos[strings.Join(keys, "\x00")]; ok {
		return &p
	}
	return &Position{File: d.file}
}

// span is the byte range of the string value at exactly that key path
// (nil when it is not a key/value line of its own, as in an inline table).
func (d *tomlDoc) span(keys ...string) *ValueSpan { return d.spans[strings.Join(keys, "\x00")] }

func (d *tomlDoc) str(m map[string]any, key string, keys ...string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		p := d.at(append(keys, key)...)
		return "", &ParseError{File: d.file, Line: p.Line, Column: p.Column,
			Msg: fmt.Sprintf("%s must be a string, not %T", strings.Join(append(keys, key), "."), v)}
	}
	return s, nil
}

func (d *tomlDoc) fail(msg string, keys ...string) error {
	p := d.at(keys...)
	return &ParseError{File: d.file, Line: p.Line, Column: p.Column, Msg: msg}
}

var knownModuleTOMLKeys = map[string]bool{
	"name": true, "engineVersion": true, "runtime": true, "dependencies": true, "toolchains": true,
	"source": true, "include": true, "exclude": true, "description": true, "blueprint": true,
}

// ParseModuleTOML parses a dagger-module.toml (Dagger 1.0): name,
// engineVersion, [runtime] (the SDK), [[dependencies]] and [[toolchains]].
func ParseModuleTOML(file string, data []byte) (*Module, error) {
	d, err := parseTOML(file, data)
	if err != nil {
		return nil, err
	}
	m := &Module{Format: "dagger-module.toml", Dir: path.Dir(file), Dependencies: []Dependency{},
		Pos: Position{File: file, Line: 1, Column: 1}}
	if m.Name, err = d.str(d.root, "name"); err != nil {
		return nil, err
	}
	if m.EngineVersion, err = d.str(d.root, "engineVersion"); err != nil {
		return nil, err
	}
	if m.EngineVersion != "" {
		m.EngineVerPos = d.at("engineVersion")
	}
	if m.Source, err = d.str(d.root, "source"); err != nil {
		return nil, err
	}
	for _, k := range []string{"include", "exclude"} {
		if v, ok := d.root[k]; ok {
			l, ok := stringList(v)
			if !ok {
				return nil, d.fail(k+" must be an array of strings", k)
			}
			if k == "include" {
				m.Include = l
			} else {
				m.Exclude = l
			}
		}
	}
	if rt, ok := d.root["runtime"]; ok {
		t, ok := rt.(map[string]any)
		if !ok {
			return nil, d.fail("runtime must be a table", "runtime")
		}
		s := &SDK{Form: "table", Pos: d.at("runtime", "source"), SourceSpan: d.span("runtime", "source")}
		if s.Source, err = d.str(t, "source", "runtime"); err != nil {
			return nil, err
		}
		if s.Pin, err = d.str(t, "pin", "runtime"); err != nil {
			return nil, err
		}
		if s.Source == "" {
			return nil, d.fail("runtime needs a source", "runtime")
		}
		if _, ok := t["pin"]; ok {
			s.PinPos, s.PinSpan = d.pinPos("runtime", "pin"), d.span("runtime", "pin")
		}
		classifySDK(s)
		m.SDK = s
		m.SourceDir = path.Join(m.Dir, m.Source)
	}
	for _, kind := range []string{"dependencies", "toolchains"} {
		v, ok := d.root[kind]
		if !ok {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			return nil, d.fail(kind+" must be an array of tables", kind)
		}
		k := map[string]string{"dependencies": "dependency", "toolchains": "toolchain"}[kind]
		for i, e := range list {
			idx := strconv.Itoa(i)
			t, ok := e.(map[string]any)
			if !ok {
				return nil, d.fail(kind+" entries must be tables", kind, idx)
			}
			dep, err := d.dep(t, k, kind, idx)
			if err != nil {
				return nil, err
			}
			m.Dependencies = append(m.Dependencies, dep)
		}
	}
	for k := range d.root {
		if !knownModuleTOMLKeys[k] {
			m.Unknown = append(m.Unknown, k)
		}
	}
	slices.Sort(m.Unknown)
	return m, nil
}

func (d *tomlDoc) dep(t map[string]any, kind string, keys ...string) (Dependency, error) {
	name, err := d.str(t, "name", keys...)
	if err != nil {
		return Dependency{}, err
	}
	src, err := d.str(t, "source", keys...)
	if err != nil {
		return Dependency{}, err
	}
	pin, err := d.str(t, "pin", keys...)
	if err != nil {
		return Dependency{}, err
	}
	if src == "" {
		return Dependency{}, d.fail(kind+" needs a source", keys...)
	}
	dep := newDependency(d.at(append(keys, "source")...), kind, name, src, pin, false)
	dep.SourceSpan = d.span(append(keys, "source")...)
	if _, ok := t["pin"]; ok {
		dep.PinPos, dep.PinSpan = d.pinPos(append(keys, "pin")...), d.span(append(keys, "pin")...)
	}
	return dep, nil
}

func stringList(v any) ([]string, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}
