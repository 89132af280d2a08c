package pin

import (
	"bytes"
	"path"
	"strconv"

	"github.com/pinline/pinline/inventory"
)

// collectTOML finds the remote module references of a Dagger 1.0 TOML
// file through the inventory parser check uses (same items, same
// positions): the [runtime] SDK and [[dependencies]]/[[toolchains]] of a
// dagger-module.toml, the [modules.<name>] of a dagger.toml or
// .dagger/config.toml workspace. Each takes a pin key: the value of the
// pin key check read (inventory's position of it) is replaced, else one
// is added on the line after the source with the source line's
// indentation. Entries whose keys inventory has no position for (inline
// tables) are left alone with a note.
func collectTOML(f *file) error {
	parse := inventory.ParseModuleTOML
	if base := path.Base(f.rel); base == "dagger.toml" || base == "config.toml" {
		parse = inventory.ParseWorkspaceTOML
	}
	m, err := parse(f.rel, f.data)
	if err != nil {
		return inputError(f, err)
	}
	if m.SDK != nil && m.SDK.Remote != nil {
		addTOMLSite(f, m.SDK.Pos, m.SDK.PinPos, m.SDK.Source, m.SDK.Pin, m.SDK.Remote)
	}
	for _, d := range m.Dependencies {
		if d.Remote != nil {
			addTOMLSite(f, d.Pos, d.PinPos, d.Source, d.Pin, d.Remote)
		}
	}
	// Environment overlays ([env.<name>.modules.<m>] with a source): what
	// check --env <name> sees. pin pins every overlay of the file.
	for _, e := range m.Envs {
		for _, d := range e.Modules {
			if d.Remote != nil {
				addTOMLSite(f, d.Pos, d.PinPos, d.Source, d.Pin, d.Remote)
			}
		}
	}
	return nil
}

func addTOMLSite(f *file, pos inventory.Position, pinPos *inventory.Position, source, pin string, r *inventory.RemoteRef) {
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
	defer func() { f.sites = append(f.sites, s) }()
	if pinPos != nil {
		// The pin key check read: replace its value.
		off, ok := f.byteOffset(*pinPos)
		end, isStr := tomlStringEnd(f.data, off)
		if !ok || !isStr {
			f.note(f.lines[max(pinPos.Line, 1)-1], source, "the pin of this TOML entry is not written as a plain key = \"value\"; pin it by hand")
			return
		}
		s.edit = func(sha string) edit { return edit{off: off, end: end, text: strconv.Quote(sha)} }
		return
	}
	off, ok := f.byteOffset(pos)
	end, isStr := tomlStringEnd(f.data, off)
	if !ok || !isStr {
		f.note(f.lines[max(pos.Line, 1)-1], source, "the source of this TOML entry is not written as a plain key = \"value\"; pin it by hand")
		return
	}
	lineEnd := len(f.data)
	if i := bytes.IndexByte(f.data[end:], '\n'); i >= 0 {
		lineEnd = end + i
	}
	if rest := bytes.TrimSpace(f.data[end:lineEnd]); len(rest) > 0 && rest[0] != '#' {
		f.note(f.lines[pos.Line-1], source, "the source of this TOML entry shares its line with other keys; pin it by hand")
		return
	}
	// A pin key on the line after the source, with its indentation.
	lineStart := f.lines[pos.Line-1]
	line := f.data[lineStart:lineEnd]
	indent := string(line[:len(line)-len(bytes.TrimLeft(line, " \t"))])
	s.edit = func(sha string) edit {
		return edit{off: lineEnd, end: lineEnd, text: "\n" + indent + "pin = " + strconv.Quote(sha)}
	}
}

// byteOffset is the offset of a position whose column counts bytes (what
// inventory reports for TOML and JSON).
func (f *file) byteOffset(p inventory.Position) (int, bool) {
	if p.Line < 1 || p.Line > len(f.lines) || p.Column < 1 {
		return 0, false
	}
	off := f.lines[p.Line-1] + p.Column - 1
	return off, off < len(f.data)
}

// tomlStringEnd returns the end of the one-line TOML string (basic "..."
// or literal '...') that starts at off; ok is false for anything else.
func tomlStringEnd(data []byte, off int) (int, bool) {
	if off >= len(data) || data[off] != '"' && data[off] != '\'' {
		return 0, false
	}
	q := data[off]
	if bytes.HasPrefix(data[off:], []byte{q, q, q}) {
		return 0, false // multi-line strings are not edited
	}
	for i := off + 1; i < len(data) && data[i] != '\n'; i++ {
		switch {
		case q == '"' && data[i] == '\\':
			i++
		case data[i] == q:
			return i + 1, true
		}
	}
	return 0, false
}
