package pin

import (
	"bytes"
	"sort"
	"unicode/utf8"

	"github.com/pinline/pinline/inventory"
)

// site is one pinnable entry found in a file.
type site struct {
	pos inventory.Position
	// alsoAt are other places check reports the same entry (other uses of
	// one constant); the change is reported there too.
	alsoAt []inventory.Position
	kind   string // "image" or "module"
	ref    string // as written, for reports

	image string // image reference to resolve (kind image)

	cloneURL, gitRef string // kind module
	// sourceCommit is the commit the source itself names (@<sha>), if any.
	sourceCommit string

	// pinned is the digest or commit already written, "" when unpinned.
	pinned string
	// edit returns the edit that writes resolved; nil when the entry cannot
	// hold a pin (the reason is in a Note).
	edit func(resolved string) edit
}

// edit replaces [off, end) with text; insertions have off == end. order
// breaks ties between insertions at the same offset.
type edit struct {
	off, end int
	text     string
	order    string
}

// file is one file pin reads and may rewrite.
type file struct {
	rel, abs string
	data     []byte
	lines    inventory.LineIndex
	sites    []site
	notes    []Note
}

func newFile(rel, abs string, data []byte) *file {
	return &file{rel: rel, abs: abs, data: data, lines: inventory.NewLineIndex(data)}
}

// position converts a byte offset to a 1-based line and byte column.
func (f *file) position(off int) inventory.Position {
	line, col := f.lines.Pos(off)
	return inventory.Position{File: f.rel, Line: line, Column: col}
}

// offset converts a 1-based line and rune column (as yaml.v3 reports them)
// to a byte offset; ok is false when the position is outside the file.
func (f *file) offset(line, col int) (int, bool) {
	if line < 1 || line > len(f.lines) || col < 1 {
		return 0, false
	}
	off := f.lines[line-1]
	for c := 1; c < col; c++ {
		if off >= len(f.data) || f.data[off] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(f.data[off:])
		off += size
	}
	return off, true
}

func (f *file) note(off int, ref, reason string) {
	f.notes = append(f.notes, Note{Pos: f.position(off), Ref: ref, Reason: reason})
}

// apply returns data with the edits applied. Edits must not overlap.
func apply(data []byte, edits []edit) []byte {
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].off != edits[j].off {
			return edits[i].off < edits[j].off
		}
		return edits[i].order < edits[j].order
	})
	var b bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.off < last {
			continue // overlapping edit: the first one wins
		}
		b.Write(data[last:e.off])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(data[last:])
	return b.Bytes()
}
