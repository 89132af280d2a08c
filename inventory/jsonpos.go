package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jnode is a JSON value with the position of its first byte. Parsing with
// encoding/json's tokenizer keeps JSON semantics exact (duplicate keys,
// tabs, escapes) while still giving every value a line and column.
type jnode struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	str  string
	line int
	col  int
	// off and end are the byte span [off, end) of the value's text (what
	// pin edits in place).
	off, end int
	keys     []jkey   // objects, in file order
	vals     []*jnode // objects (parallel to keys) and arrays
}

type jkey struct {
	name      string
	line, col int
	// off and end span the key with its quotes.
	off, end int
}

// get returns the value of key in an object, or nil.
func (n *jnode) get(key string) *jnode {
	if n == nil || n.kind != 'o' {
		return nil
	}
	// Last one wins, like encoding/json.
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i].name == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *jnode) typeName() string {
	switch n.kind {
	case 'o':
		return "object"
	case 'a':
		return "array"
	case 's':
		return "string"
	case 'n':
		return "number"
	case 'b':
		return "boolean"
	}
	return "null"
}

// maxJSONDepth bounds nesting so that hostile input cannot exhaust the
// stack.
const maxJSONDepth = 512

type jparser struct {
	depth int
	data  []byte
	dec   *json.Decoder
	li    LineIndex
	file  string
}

// parseJSON parses data into a positioned tree. Errors are *ParseError.
func parseJSON(file string, data []byte) (*jnode, error) {
	if n, ok := parseJSONFast(data); ok {
		return n, nil
	}
	return parseJSONExact(file, data)
}

// parseJSONExact parses data with encoding/json's tokenizer: the reference
// semantics, and the path that reports errors.
func parseJSONExact(file string, data []byte) (*jnode, error) {
	p := &jparser{data: data, dec: json.NewDecoder(bytes.NewReader(data)), file: file}
	p.dec.UseNumber()
	p.li = NewLineIndex(data)
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	off := p.start()
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, p.errAt(off, "unexpected data after the top-level value")
	}
	return n, nil
}

func (p *jparser) errAt(off int, msg string) error {
	if off > len(p.data) {
		off = len(p.data)
	}
	l, c := p.li.Pos(off)
	return &ParseError{File: p.file, Line: l, Column: c, Msg: msg}
}

// start returns the offset of the next token.
func (p *jparser) start() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *jparser) token() (json.Token, int, error) {
	off := p.start()
	tok, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, off, p.errAt(int(se.Offset), "invalid JSON: "+se.Error())
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, off, p.errAt(len(p.data), "invalid JSON: unexpected end of input")
		}
		return nil, off, p.errAt(off, "invalid JSON: "+err.Error())
	}
	return tok, off, nil
}

func (p *jparser) value() (*jnode, error) {
	tok, off, err := p.token()
	if err != nil {
		return nil, err
	}
	return p.valueFrom(tok, off)
}

func (p *jparser) valueFrom(tok json.Token, off int) (*jnode, error) {
	l, c := p.li.Pos(off)
	n := &jnode{line: l, col: c, off: off}
	// The decoder's offset is the end of the token just read: the value's
	// end for scalars, the closing bracket's for objects and arrays.
	defer func() { n.end = int(p.dec.InputOffset()) }()
	switch t := tok.(type) {
	case json.Delim:
		if p.depth++; p.depth > maxJSONDepth {
			return nil, p.errAt(off, fmt.Sprintf("JSON nested deeper than %d levels", maxJSONDepth))
		}
		defer func() { p.depth-- }()
		switch t {
		case '{':
			n.kind = 'o'
			for {
				kt, koff, err := p.token()
				if err != nil {
					return nil, err
				}
				if d, ok := kt.(json.Delim); ok && d == '}' {
					return n, nil
				}
				k, ok := kt.(string)
				if !ok {
					return nil, p.errAt(koff, "invalid JSON: object key is not a string")
				}
				kl, kc := p.li.Pos(koff)
				kend := int(p.dec.InputOffset())
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, jkey{name: k, line: kl, col: kc, off: koff, end: kend})
				n.vals = append(n.vals, v)
			}
		case '[':
			n.kind = 'a'
			for {
				et, eoff, err := p.token()
				if err != nil {
					return nil, err
				}
				if d, ok := et.(json.Delim); ok && d == ']' {
					return n, nil
				}
				v, err := p.valueFrom(et, eoff)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
		}
		return nil, p.errAt(off, fmt.Sprintf("invalid JSON: unexpected %q", rune(t)))
	case string:
		n.kind, n.str = 's', t
	case json.Number:
		n.kind, n.str = 'n', t.String()
	case bool:
		n.kind = 'b'
		if t {
			n.str = "true"
		} else {
			n.str = "false"
		}
	case nil:
		n.kind = 'z'
	}
	return n, nil
}
