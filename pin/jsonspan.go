package pin

import (
	"encoding/json"
	"errors"
	"fmt"
)

// jnode is a JSON value with its byte span in the source, enough to edit
// the text in place without re-marshalling it.
type jnode struct {
	kind       byte // '{', '[', '"', or 'v' for numbers, true, false, null
	start, end int  // [start, end) of the value text
	str        string
	members    []jmember
	elems      []*jnode
}

type jmember struct {
	key      string
	keyStart int // offset of the key's opening quote
	keyEnd   int // offset after the key's closing quote
	value    *jnode
}

// get returns the member key of an object; of duplicate keys the last one
// wins, as in encoding/json, Dagger and pinline check (PL027 reports the
// duplicate).
func (n *jnode) get(key string) *jmember {
	for i := len(n.members) - 1; i >= 0; i-- {
		if n.members[i].key == key {
			return &n.members[i]
		}
	}
	return nil
}

type jparser struct {
	src   []byte
	pos   int
	depth int
}

var errJSON = errors.New("invalid JSON")

// parseJSONSpans parses src (one JSON value) keeping spans.
func parseJSONSpans(src []byte) (*jnode, error) {
	p := &jparser{src: src}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(src) {
		return nil, p.errf("trailing data")
	}
	return n, nil
}

func (p *jparser) errf(msg string) error {
	return fmt.Errorf("%w at byte %d: %s", errJSON, p.pos, msg)
}

func (p *jparser) ws() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jparser) value() (*jnode, error) {
	p.ws()
	if p.pos >= len(p.src) {
		return nil, p.errf("unexpected end")
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 200 {
		return nil, p.errf("nesting too deep")
	}
	switch c := p.src[p.pos]; c {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		return p.string()
	default:
		start := p.pos
		for p.pos < len(p.src) && !isDelim(p.src[p.pos]) {
			p.pos++
		}
		if p.pos == start || !json.Valid(p.src[start:p.pos]) {
			return nil, p.errf("invalid literal")
		}
		return &jnode{kind: 'v', start: start, end: p.pos}, nil
	}
}

func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
		return true
	}
	return false
}

func (p *jparser) string() (*jnode, error) {
	start := p.pos
	p.pos++
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '\\':
			p.pos += 2
			continue
		case '"':
			p.pos++
			var s string
			if err := json.Unmarshal(p.src[start:p.pos], &s); err != nil {
				return nil, p.errf("invalid string")
			}
			return &jnode{kind: '"', start: start, end: p.pos, str: s}, nil
		}
		p.pos++
	}
	return nil, p.errf("unterminated string")
}

func (p *jparser) object() (*jnode, error) {
	n := &jnode{kind: '{', start: p.pos}
	p.pos++
	p.ws()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		n.end = p.pos
		return n, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return nil, p.errf("expected key")
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errf("expected ':'")
		}
		p.pos++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, jmember{key: k.str, keyStart: k.start, keyEnd: k.end, value: v})
		p.ws()
		if p.pos >= len(p.src) {
			return nil, p.errf("unterminated object")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			n.end = p.pos
			return n, nil
		default:
			return nil, p.errf("expected ',' or '}'")
		}
	}
}

func (p *jparser) array() (*jnode, error) {
	n := &jnode{kind: '[', start: p.pos}
	p.pos++
	p.ws()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		n.end = p.pos
		return n, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
		p.ws()
		if p.pos >= len(p.src) {
			return nil, p.errf("unterminated array")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			n.end = p.pos
			return n, nil
		default:
			return nil, p.errf("expected ',' or ']'")
		}
	}
}
