package pin

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/pinline/pinline/inventory"
)

// lockLine is one entry of a dagger.lock with the byte span of its line.
type lockLine struct {
	inventory.LockEntry
	off, end int // line span, without the newline
	keyJSON  string
}

// collectLock reads a dagger.lock with inventory.ParseLock (the parser
// check and sbom use, so pin sees the same entries at the same
// positions). Lockfile versions 1 and 2 (container.from and git.ref, what
// Dagger writes): an entry that floats is rewritten in place with the
// resolved digest or commit (a version 1 line keeps its shape with the
// policy "pin"); pinned entries are verified with Verify. Workspace-beta
// kinds: pinning adds the missing oci-sha entry of every oci-latest and
// the missing git-sha entry of every git-latest, inserted in sorted
// position like Dagger wrote them.
func collectLock(f *file) error {
	parsed, _, err := inventory.ParseLock(f.rel, f.data)
	if err != nil {
		var pe *inventory.ParseError
		if errors.As(err, &pe) {
			return &InputError{Pos: inventory.Position{File: f.rel, Line: pe.Line, Column: pe.Column}, Err: errors.New(pe.Msg)}
		}
		return &InputError{Pos: inventory.Position{File: f.rel}, Err: err}
	}
	entries := make([]lockLine, 0, len(parsed))
	have := map[string]bool{}
	for _, e := range parsed {
		off := f.lines[e.Pos.Line-1]
		end := len(f.data)
		if e.Pos.Line < len(f.lines) {
			end = f.lines[e.Pos.Line] - 1
		}
		l := lockLine{LockEntry: e, off: off, end: end, keyJSON: compactJSON(keyOf(e))}
		entries = append(entries, l)
		have[e.Kind+"\x00"+l.keyJSON] = true
	}
	for _, l := range entries {
		first := l.Key[0]
		switch l.Kind {
		case inventory.LockContainerFrom:
			s := site{pos: l.Pos, kind: "image", ref: first, image: first}
			if l.Floating {
				s.edit = rewriteLockLine(f, l)
			} else {
				s.pinned = l.Value
			}
			f.sites = append(f.sites, s)
		case inventory.LockGitRef, "git.head", "git.branch", "git.tag":
			sel := "HEAD"
			if len(l.Key) > 1 {
				sel = l.Key[1]
			}
			s := site{pos: l.Pos, kind: "module", ref: first + "@" + sel, cloneURL: first, gitRef: sel}
			if l.Floating {
				s.edit = rewriteLockLine(f, l)
			} else {
				s.pinned = l.Value
			}
			f.sites = append(f.sites, s)
		case "oci-sha":
			f.sites = append(f.sites, site{pos: l.Pos, kind: "image", ref: first, image: first, pinned: l.Value})
		case "git-sha":
			if len(l.Key) < 2 {
				continue
			}
			ref := l.Key[1]
			f.sites = append(f.sites, site{pos: l.Pos, kind: "module", ref: first + "@" + ref,
				cloneURL: "https://" + first, gitRef: ref, pinned: l.Value})
		case "oci-latest":
			img := first + ":" + l.Value
			newKey := compactJSON([]any{img})
			if have["oci-sha\x00"+newKey] {
				continue
			}
			have["oci-sha\x00"+newKey] = true
			f.sites = append(f.sites, site{pos: l.Pos, kind: "image", ref: img, image: img,
				edit: lockInsert(f, entries, "oci-sha", newKey)})
		case "git-latest":
			newKey := compactJSON([]any{first, l.Value})
			if have["git-sha\x00"+newKey] {
				continue
			}
			have["git-sha\x00"+newKey] = true
			f.sites = append(f.sites, site{pos: l.Pos, kind: "module", ref: first + "@" + l.Value,
				cloneURL: "https://" + first, gitRef: l.Value, edit: lockInsert(f, entries, "git-sha", newKey)})
		}
	}
	return nil
}

// keyOf is the inputs array of an entry as Dagger writes it: the string
// inputs, then the [name, value] parameters (the beta kinds only).
func keyOf(e inventory.LockEntry) []any {
	key := make([]any, 0, len(e.Key)+len(e.Params))
	for _, k := range e.Key {
		key = append(key, k)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Params)) {
		key = append(key, []any{k, e.Params[k]})
	}
	return key
}

// rewriteLockLine returns the edit replacing a floating version 1 or 2
// entry with the same lookup and the resolved value: a digest for
// container.from, {"ref", "sha"} for git lookups; a version 1 line keeps
// five elements with the policy "pin".
func rewriteLockLine(f *file, l lockLine) func(string) edit {
	return func(resolved string) edit {
		var value any = resolved
		if l.Kind != inventory.LockContainerFrom {
			v := map[string]string{"sha": resolved}
			ref := l.Ref
			if ref == "" && len(l.Key) > 1 && strings.HasPrefix(l.Key[1], "refs/") {
				ref = l.Key[1]
			}
			if ref != "" {
				v["ref"] = ref
			}
			value = v
			if l.Version == "1" {
				value = resolved
			}
		}
		tuple := []any{l.Namespace, l.Kind, keyOf(l.LockEntry), value}
		if l.Version == "1" {
			tuple = append(tuple, "pin")
		}
		return edit{off: l.off + l.Pos.Column - 1, end: l.end, text: compactJSON(tuple)}
	}
}

// lockInsert returns an edit function inserting a new entry before the
// first entry that sorts after it (by kind, then key), or after the last.
func lockInsert(f *file, entries []lockLine, kind, keyJSON string) func(string) edit {
	order := kind + "\x00" + keyJSON
	at, prefix := -1, ""
	for _, e := range entries {
		if e.Kind+"\x00"+e.keyJSON > order {
			at = e.off
			break
		}
	}
	if at < 0 {
		last := entries[len(entries)-1]
		if last.end < len(f.data) {
			at = last.end + 1
		} else {
			at, prefix = len(f.data), "\n"
		}
	}
	return func(value string) edit {
		line := `["",` + compactJSON(kind) + `,` + keyJSON + `,` + compactJSON(value) + `]`
		if prefix != "" {
			return edit{off: at, end: at, text: prefix + line, order: order}
		}
		return edit{off: at, end: at, text: line + "\n", order: order}
	}
}
