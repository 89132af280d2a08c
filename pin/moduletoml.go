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
	if s := m.SDK; s != nil && s.Remote != nil {
		addTOMLSite(f, tomlEntry{s.Pos, s.PinPos, s.SourceSpan, s.PinSpan, s.Source, s.Pin, s.Remote})
	}
	for _, d := range m.Dependencies {
		if d.Remote != nil {
			addTOMLSite(f, tomlEntryOf(d))
		}
	}
	// Environment overlays ([env.<name>.modules.<m>] with a source): what
	// check --env <name> sees. pin pins every overlay of the file.
	for _, e := range m.Envs {
		for _, d := range e.Modules {
			if d.Remote != nil {
				addTOMLSite(f, tomlEntryOf(d))
			}
		}
	}
	return nil
}

// tomlEntry is what pin needs of an SDK or dependency inventory read from
// TOML: its positions and the spans of its source and pin values.
type tomlEntry struct {
	pos                 inventory.Position
	pinPos              *inventory.Position
	sourceSpan, pinSpan *inventory.ValueSpan
	source, pin         string
	remote              *inventory.RemoteRef
}

func tomlEntryOf(d inventory.Dependency) tomlEntry {
	return tomlEntry{d.Pos, d.PinPos, d.SourceSpan, d.PinSpan, d.Source, d.Pin, d.Remote}
}

// addTOMLSite edits the spans inventory recorded: the pin value check read
// is replaced, else a pin key goes on the line after the source value.
func addTOMLSite(f *file, e tomlEntry) {
	pos, r := e.pos, e.remote
	s := site{pos: pos, kind: "module", ref: e.source, cloneURL: r.CloneURL, gitRef: r.Ref}
	if inventory.IsCommit(r.Ref) {
		s.sourceCommit = r.Ref
	}
	switch {
	case inventory.IsCommit(e.pin):
		s.pinned = e.pin
	case e.pin == "" && s.sourceCommit != "":
		s.pinned = s.sourceCommit
	}
	defer func() { f.sites = append(f.sites, s) }()
	if e.pinPos != nil {
		// The pin key check read: replace its value.
		if e.pinSpan == nil || !e.pinSpan.Plain {
			f.note(f.lines[max(e.pinPos.Line, 1)-1], e.source, "the pin of this TOML entry is not written as a plain key = \"value\"; pin it by hand")
			return
		}
		off, end := e.pinSpan.Off, e.pinSpan.End
		s.edit = func(sha string) edit { return edit{off: off, end: end, text: strconv.Quote(sha)} }
		return
	}
	if e.sourceSpan == nil || !e.sourceSpan.Plain {
		f.note(f.lines[max(pos.Line, 1)-1], e.source, "the source of this TOML entry is not written as a plain key = \"value\"; pin it by hand")
		return
	}
	end := e.sourceSpan.End
	lineEnd := len(f.data)
	if i := bytes.IndexByte(f.data[end:], '\n'); i >= 0 {
		lineEnd = end + i
	}
	if rest := bytes.TrimSpace(f.data[end:lineEnd]); len(rest) > 0 && rest[0] != '#' {
		f.note(f.lines[pos.Line-1], e.source, "the source of this TOML entry shares its line with other keys; pin it by hand")
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
