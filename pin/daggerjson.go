package pin

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/pinline/pinline/inventory"
)

// collectDaggerJSON finds the remote module references of a dagger.json
// that check sees: it decodes the file with inventory's parser (the same
// items, positions, errors and duplicate-key rule as check) and edits the
// spans of the tree the items were decoded from. Remote SDKs (string or
// object form) and legacy string dependencies get the commit in their
// source ref; object dependencies, toolchains and blueprints a pin field.
// Local sources and builtin SDKs are not pinned.
func collectDaggerJSON(f *file) error {
	m, _, tree, err := inventory.ParseDaggerJSONTree(f.rel, f.data)
	if err != nil {
		return inputError(f, err)
	}
	if m.SDK != nil && m.SDK.Remote != nil {
		if v, _, _, ok := tree.At(m.SDK.Pos); ok && v.IsString() {
			collectSourceString(f, v, m.SDK.Remote)
		}
	}
	for _, d := range m.Dependencies {
		if d.Remote == nil {
			continue
		}
		v, obj, src, ok := tree.At(d.Pos)
		switch {
		case !ok || !v.IsString():
			continue // check has no item here either
		case d.Legacy:
			collectSourceString(f, v, d.Remote)
		case obj.IsObject() && src.Key == "source":
			collectModuleObject(f, obj, src, d)
		}
	}
	return nil
}

// inputError is a parse error of inventory as pin reports it.
func inputError(f *file, err error) error {
	var pe *inventory.ParseError
	if errors.As(err, &pe) {
		return &InputError{Pos: inventory.Position{File: f.rel, Line: pe.Line, Column: pe.Column}, Err: errors.New(pe.Msg)}
	}
	return &InputError{Pos: inventory.Position{File: f.rel}, Err: err}
}

// collectModuleObject pins a dependency object {name, source, pin}: the
// pin value is replaced, or a "pin" member is added after "source".
func collectModuleObject(f *file, obj inventory.JSONValue, src inventory.JSONMember, d inventory.Dependency) {
	srcOff, srcEnd := src.Value.Span()
	s := site{
		pos:      d.Pos,
		kind:     "module",
		ref:      d.Source,
		cloneURL: d.Remote.CloneURL,
		gitRef:   d.Remote.Ref,
	}
	if inventory.IsCommit(d.Remote.Ref) {
		s.sourceCommit = d.Remote.Ref
	}
	pin, hasPin := obj.Member("pin")
	switch {
	case hasPin && pin.Value.IsString():
		s.pinned = pin.Value.Str()
	case !hasPin && s.sourceCommit != "":
		// The source itself names the commit: pinned.
		s.pinned = s.sourceCommit
	}
	data := f.data
	switch {
	case hasPin:
		start, end := pin.Value.Span()
		s.edit = func(sha string) edit { return edit{off: start, end: end, text: strconv.Quote(sha)} }
	default:
		// Insert "pin" right after "source", copying the separator that
		// precedes the "source" key and the spacing around its colon.
		i := src.KeyOff
		for i > 0 && isSpace(data[i-1]) {
			i--
		}
		sep := string(data[i:src.KeyOff])
		colon := string(data[src.KeyEnd:srcOff])
		at := srcEnd
		s.edit = func(sha string) edit {
			return edit{off: at, end: at, text: "," + sep + `"pin"` + colon + strconv.Quote(sha)}
		}
	}
	f.sites = append(f.sites, s)
}

// collectSourceString pins a module source that has nowhere to put a pin
// (an sdk source, a legacy string dependency) by replacing its ref with
// the commit it resolves to: github.com/o/r/sdk@v1 →
// github.com/o/r/sdk@<commit> (Dagger's sdk object has no pin field).
func collectSourceString(f *file, v inventory.JSONValue, remote *inventory.RemoteRef) {
	start, end := v.Span()
	s := site{pos: f.position(start), kind: "module", ref: v.Str(),
		cloneURL: remote.CloneURL, gitRef: remote.Ref}
	if inventory.IsCommit(remote.Ref) {
		s.sourceCommit, s.pinned = remote.Ref, remote.Ref
	}
	base := v.Str()
	if remote.Ref != "" {
		base = strings.TrimSuffix(base, "@"+remote.Ref)
	}
	s.edit = func(sha string) edit { return edit{off: start, end: end, text: strconv.Quote(base + "@" + sha)} }
	f.sites = append(f.sites, s)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// lockLine is one entry of a dagger.lock.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
