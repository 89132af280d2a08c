package inventory

import (
	"bytes"
	"strings"
)

// Lock entry kinds of dagger.lock v2.
var lockKinds = map[string]bool{
	"git-latest": true, "git-sha": true, "oci-latest": true, "oci-sha": true, "vanity-url": true,
}

// ParseLock parses a dagger.lock (v2) file: a header line
// [["version","2"]] followed by one JSON tuple per line,
// ["", kind, [key...], value]. Blank lines and lines starting with # are
// comments. oci-sha entries also yield an ImageRef carrying the digest.
// An unknown version or kind, or a malformed line, is a *ParseError.
func ParseLock(file string, data []byte) ([]LockEntry, []ImageRef, error) {
	var entries []LockEntry
	var images []ImageRef
	header := false
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		indent := len(line) - len(bytes.TrimLeft(line, " \t"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		n, err := parseJSON(file, line)
		if err != nil {
			pe := err.(*ParseError)
			pe.Line, pe.Column = lineNo, pe.Column+indent
			return nil, nil, pe
		}
		fail := func(n *jnode, msg string) error {
			return &ParseError{File: file, Line: lineNo, Column: n.col + indent, Msg: msg}
		}
		if !header {
			if n.kind != 'a' || len(n.vals) == 0 || n.vals[0].kind != 'a' || len(n.vals[0].vals) != 2 ||
				n.vals[0].vals[0].str != "version" {
				return nil, nil, fail(n, `dagger.lock must start with [["version","2"]]`)
			}
			if v := n.vals[0].vals[1]; v.kind != 's' || v.str != "2" {
				return nil, nil, fail(v, "unsupported dagger.lock version "+v.str+" (want 2)")
			}
			header = true
			continue
		}
		if n.kind != 'a' || len(n.vals) != 4 {
			return nil, nil, fail(n, "lock entry must be a 4-element array [scope, kind, key, value]")
		}
		kind, key, val := n.vals[1], n.vals[2], n.vals[3]
		if kind.kind != 's' || !lockKinds[kind.str] {
			return nil, nil, fail(kind, "unknown lock entry kind "+quote(kind.str))
		}
		if key.kind != 'a' || len(key.vals) == 0 {
			return nil, nil, fail(key, "lock entry key must be a non-empty array")
		}
		if val.kind != 's' {
			return nil, nil, fail(val, "lock entry value must be a string")
		}
		e := LockEntry{Pos: Position{File: file, Line: lineNo, Column: n.col + indent},
			Kind: kind.str, Value: val.str, Floating: strings.HasSuffix(kind.str, "-latest")}
		for _, k := range key.vals {
			switch {
			case k.kind == 's':
				e.Key = append(e.Key, k.str)
			case k.kind == 'a' && len(k.vals) == 2 && k.vals[0].kind == 's' && k.vals[1].kind == 's':
				if e.Params == nil {
					e.Params = map[string]string{}
				}
				e.Params[k.vals[0].str] = k.vals[1].str
			default:
				return nil, nil, fail(k, "lock entry key elements must be strings or [name, value] pairs")
			}
		}
		if len(e.Key) == 0 {
			return nil, nil, fail(key, "lock entry key has no name")
		}
		if e.Kind == "oci-sha" {
			img, err := newImageRef(e.Pos, "lock", "oci-sha", e.Key[0], e.Key[0]+"@"+e.Value)
			if err != nil {
				return nil, nil, fail(val, "oci-sha entry: "+err.Error())
			}
			images = append(images, img)
		}
		entries = append(entries, e)
	}
	if !header {
		return nil, nil, &ParseError{File: file, Line: 1, Column: 1, Msg: `dagger.lock has no [["version","2"]] header`}
	}
	return entries, images, nil
}
