package inventory

import (
	"encoding/json"
	"unicode/utf8"
)

// fastJSON parses well-formed JSON into the same positioned tree as the
// encoding/json tokenizer path (jparser), several times faster. It is
// deliberately conservative: on anything it does not handle exactly like
// encoding/json (malformed input, nesting deeper than maxJSONDepth,
// invalid UTF-8 in a string) it gives up and parseJSON falls back to the
// exact path, which then also produces the error. FuzzJSONFastMatchesExact
// holds the two paths to the same result.
type fastJSON struct {
	data      []byte
	i         int
	line      int // 1-based line of data[i]
	lineStart int // offset of the first byte of that line
	depth     int
	slab      []jnode
}

// parseJSONFast returns the tree of data, or ok=false when data must go
// through the exact path.
func parseJSONFast(data []byte) (n *jnode, ok bool) {
	p := &fastJSON{data: data, line: 1}
	p.ws()
	n, ok = p.value()
	if !ok {
		return nil, false
	}
	p.ws()
	if p.i != len(p.data) {
		return nil, false
	}
	return n, true
}

// ws skips JSON white space, counting lines.
func (p *fastJSON) ws() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case '\n':
			p.line++
			p.lineStart = p.i + 1
		case ' ', '\t', '\r':
		default:
			return
		}
		p.i++
	}
}

// node hands out nodes from a slab: one allocation per 32 values.
func (p *fastJSON) node(kind byte) *jnode {
	if len(p.slab) == 0 {
		p.slab = make([]jnode, 32)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.kind, n.line, n.col, n.off = kind, p.line, p.i-p.lineStart+1, p.i
	return n
}

// value parses the value at p.i and records its span.
func (p *fastJSON) value() (*jnode, bool) {
	n, ok := p.scalarOrNested()
	if ok {
		n.end = p.i
	}
	return n, ok
}

func (p *fastJSON) scalarOrNested() (*jnode, bool) {
	if p.i >= len(p.data) {
		return nil, false
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		n := p.node('s')
		s, ok := p.str()
		n.str = s
		return n, ok
	case c == '-' || (c >= '0' && c <= '9'):
		n := p.node('n')
		start := p.i
		if !p.number() {
			return nil, false
		}
		n.str = string(p.data[start:p.i])
		return n, true
	case c == 't':
		return p.literal("true", 'b')
	case c == 'f':
		return p.literal("false", 'b')
	case c == 'n':
		return p.literal("null", 'z')
	}
	return nil, false
}

func (p *fastJSON) literal(word string, kind byte) (*jnode, bool) {
	if len(p.data)-p.i < len(word) || string(p.data[p.i:p.i+len(word)]) != word {
		return nil, false
	}
	n := p.node(kind)
	if kind == 'b' {
		n.str = word
	}
	p.i += len(word)
	return n, true
}

func (p *fastJSON) object() (*jnode, bool) {
	if p.depth++; p.depth > maxJSONDepth {
		return nil, false
	}
	n := p.node('o')
	p.i++ // {
	p.ws()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		p.depth--
		return n, true
	}
	for {
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, false
		}
		k := jkey{line: p.line, col: p.i - p.lineStart + 1, off: p.i}
		var ok bool
		if k.name, ok = p.str(); !ok {
			return nil, false
		}
		k.end = p.i
		p.ws()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.ws()
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, v)
		if !p.next() {
			break
		}
	}
	if p.i >= len(p.data) || p.data[p.i] != '}' {
		return nil, false
	}
	p.i++
	p.depth--
	return n, true
}

func (p *fastJSON) array() (*jnode, bool) {
	if p.depth++; p.depth > maxJSONDepth {
		return nil, false
	}
	n := p.node('a')
	p.i++ // [
	p.ws()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		p.depth--
		return n, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		n.vals = append(n.vals, v)
		if !p.next() {
			break
		}
	}
	if p.i >= len(p.data) || p.data[p.i] != ']' {
		return nil, false
	}
	p.i++
	p.depth--
	return n, true
}

// next skips white space and, when a comma follows, the comma and the
// white space after it; it reports whether another member follows.
func (p *fastJSON) next() bool {
	p.ws()
	if p.i < len(p.data) && p.data[p.i] == ',' {
		p.i++
		p.ws()
		return true
	}
	return false
}

// str reads a string starting at its opening quote. Strings with escapes
// are decoded by encoding/json itself; strings with invalid UTF-8 (which
// encoding/json rewrites) and control characters (which it rejects) send
// the document to the exact path.
func (p *fastJSON) str() (string, bool) {
	start := p.i
	p.i++
	ascii, escaped := true, false
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			raw := p.data[start:p.i]
			if escaped {
				var s string
				if json.Unmarshal(raw, &s) != nil {
					return "", false
				}
				return s, true
			}
			body := raw[1 : len(raw)-1]
			if !ascii && !utf8.Valid(body) {
				return "", false
			}
			return string(body), true
		case c == '\\':
			escaped = true
			p.i += 2 // the escaped byte is never the closing quote
			continue
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.i++
	}
	return "", false
}

// number checks the JSON number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *fastJSON) number() bool {
	d := p.data
	if p.i < len(d) && d[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(d) && d[p.i] == '0':
		p.i++
	case p.i < len(d) && d[p.i] >= '1' && d[p.i] <= '9':
		p.digits()
	default:
		return false
	}
	if p.i < len(d) && d[p.i] == '.' {
		p.i++
		if !p.digits() {
			return false
		}
	}
	if p.i < len(d) && (d[p.i] == 'e' || d[p.i] == 'E') {
		p.i++
		if p.i < len(d) && (d[p.i] == '+' || d[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits skips [0-9]+ and reports whether there was at least one.
func (p *fastJSON) digits() bool {
	start := p.i
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}
