package pin

import (
	"bytes"
	"errors"
	"path"
	"regexp"
	"strconv"

	"github.com/pinline/pinline/inventory"
)

// collectTOML finds the remote module references of a Dagger 1.0 TOML
// file through the inventory parser check uses (same items, same
// positions): the [runtime] SDK and [[dependencies]]/[[toolchains]] of a
// dagger-module.toml, the [modules.<name>] of a dagger.toml or
// .dagger/config.toml workspace. Each takes a pin key: an existing
// `pin = "..."` of the same table is replaced, else one is added on the
// line after the source, with the source line's indentation.
func collectTOML(f *file) error {
	parse := inventory.ParseModuleTOML
	if base := path.Base(f.rel); base == "dagger.toml" || base == "config.toml" {
		parse = inventory.ParseWorkspaceTOML
	}
	m, err := parse(f.rel, f.data)
	if err != nil {
		var pe *inventory.ParseError
		if errors.As(err, &pe) {
			return &InputError{Pos: inventory.Position{File: f.rel, Line: pe.Line, Column: pe.Column}, Err: errors.New(pe.Msg)}
		}
		return &InputError{Pos: inventory.Position{File: f.rel}, Err: err}
	}
	if m.SDK != nil && m.SDK.Remote != nil {
		addTOMLSite(f, m.SDK.Pos, m.SDK.Source, m.SDK.Pin, m.SDK.Remote)
	}
	for _, d := range m.Dependencies {
		if d.Remote != nil {
			addTOMLSite(f, d.Pos, d.Source, d.Pin, d.Remote)
		}
	}
	return nil
}

var rePinKey = regexp.MustCompile(`^[ \t]*pin[ \t]*=[ \t]*("(?:[^"\\\n]|\\.)*"|'[^'\n]*')`)

func addTOMLSite(f *file, pos inventory.Position, source, pin string, r *inventory.RemoteRef) {
	s := site{pos: pos, kind: "module", ref: source, cloneURL: r.CloneURL, gitRef: r.Ref}
	if inventory.IsCommit(r.Ref) {
		s.sourceCommit = r.Ref
	}
	switch {
	case inventory.IsCommit(pin):
		s.pinned = pin
	case pin == "" && s.sourceCommit != "":
		s.pinned = s.sourceCommit
	}
	if pos.Line < 1 || pos.Line > len(f.lines) {
		f.sites = append(f.sites, s)
		return
	}
	lineStart := f.lines[pos.Line-1]
	lineEnd := len(f.data)
	if i := bytes.IndexByte(f.data[lineStart:], '\n'); i >= 0 {
		lineEnd = lineStart + i
	}
	// An existing pin key of the same table: on a later line, before the
	// next table header.
	for l := pos.Line; l < len(f.lines); l++ {
		start := f.lines[l]
		end := len(f.data)
		if i := bytes.IndexByte(f.data[start:], '\n'); i >= 0 {
			end = start + i
		}
		line := f.data[start:end]
		if t := bytes.TrimLeft(line, " \t"); len(t) > 0 && t[0] == '[' {
			break
		}
		if loc := rePinKey.FindSubmatchIndex(line); loc != nil {
			vs, ve := start+loc[2], start+loc[3]
			s.edit = func(sha string) edit { return edit{off: vs, end: ve, text: strconv.Quote(sha)} }
			f.sites = append(f.sites, s)
			return
		}
	}
	indent := f.data[lineStart : lineStart+len(f.data[lineStart:lineEnd])-len(bytes.TrimLeft(f.data[lineStart:lineEnd], " \t"))]
	at := lineEnd
	s.edit = func(sha string) edit {
		return edit{off: at, end: at, text: "\n" + string(indent) + "pin = " + strconv.Quote(sha)}
	}
	f.sites = append(f.sites, s)
}
