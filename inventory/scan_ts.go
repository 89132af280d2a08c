package inventory

import (
	"slices"
	"unicode"
)

// ScanTypeScript finds container image references in TypeScript module
// source: .from("...") calls (not static methods such as Array.from),
// their arguments resolved through same-file const/let/var string
// declarations, parameter and property defaults (name: string = "...")
// that look like images, and image-looking constants whose name mentions
// an image. Template literals with substitutions and other expressions
// are Unresolved. An unterminated string or comment is a *ParseError.
func ScanTypeScript(file string, data []byte) ([]ImageRef, []Unresolved, error) {
	imgs, un, info, err := scanTypeScript(file, data)
	if info != nil {
		for _, d := range info.deferred {
			un = append(un, d.un)
		}
		slices.SortStableFunc(un, func(a, b Unresolved) int { return cmpPos(a.Pos, b.Pos) })
	}
	return imgs, un, err
}

func scanTypeScript(file string, data []byte) ([]ImageRef, []Unresolved, *srcFileInfo, error) {
	l, perr := lexTS(file, data)
	if perr != nil {
		return nil, nil, nil, perr
	}
	toks := l.toks
	s := &srcScan{origin: "typescript", l: l, toks: toks, consts: map[string]*srcConst{},
		defaults: map[string]bool{}}
	decl := map[int]bool{} // string token indexes that initialise a declaration
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		if t.kind != tName || (t.text != "const" && t.text != "let" && t.text != "var") || toks[i+1].kind != tName {
			continue
		}
		j := i + 2
		if j < len(toks) && isOp(toks[j], ":") {
			for j < len(toks) && !isOp(toks[j], "=") && !isOp(toks[j], ";") {
				j++
			}
		}
		if j >= len(toks) || !isOp(toks[j], "=") {
			continue
		}
		v, k, ok := s.strings(j + 1)
		end := k >= len(toks) || isOp(toks[k], ";") || isOp(toks[k], ",") || toks[k].kind == tName ||
			isOp(toks[k], "}")
		if k < len(toks) && isOp(toks[k], "as") {
			end = true
		}
		s.define(toks[i+1].text, toks[min(j+1, len(toks)-1)].off, v, ok && end)
		decl[j+1] = true
	}
	// Reassignments make a let/var ambiguous.
	for i := 1; i+1 < len(toks); i++ {
		if toks[i].kind == tName && isOp(toks[i+1], "=") && !(i >= 1 && toks[i-1].kind == tName &&
			(toks[i-1].text == "const" || toks[i-1].text == "let" || toks[i-1].text == "var")) {
			if c := s.consts[toks[i].text]; c != nil && !decl[i+2] {
				c.ok = false
			}
		}
	}
	parens := 0
	for i := 0; i+1 < len(toks); i++ {
		t := toks[i]
		if isOp(t, "(") {
			parens++
		} else if isOp(t, ")") && parens > 0 {
			parens--
		}
		switch {
		case t.kind == tName && t.text == "from" && i > 0 && isOp(toks[i-1], ".") && isOp(toks[i+1], "("):
			if i >= 2 && toks[i-2].kind == tName && startsUpper(toks[i-2].text) {
				continue // Array.from, Buffer.from, ...
			}
			s.call(i+1, "")
		case isOp(t, "=") && !decl[i+1] && i > 1 && toks[i-1].kind == tName && (parens > 0 || isOp(toks[i-2], ":") && !s.switchLabel(i-2)):
			// A parameter default, or a typed property default; not a
			// plain reassignment.
			s.defaultAt(i+1, "param")
		}
	}
	s.unusedConsts()
	return s.images, s.unresolved, s.fileInfo(), nil
}

// switchLabel reports whether the ":" at colon ends a switch label
// (case X:, default:) of a switch block, so that the assignment after it
// is a statement, not a typed property default. (A property may be named
// case or default: only the enclosing switch (...) { decides.)
func (s *srcScan) switchLabel(colon int) bool {
	b := s.block(colon)
	if b < 1 || !isOp(s.toks[b-1], ")") {
		return false
	}
	o := s.index1().open[b-1]
	if o < 1 || s.toks[o-1].kind != tName || s.toks[o-1].text != "switch" {
		return false
	}
	for j, n := colon-1, 0; j > b && n < maxChain; j, n = j-1, n+1 {
		switch t := s.toks[j]; {
		case t.kind == tName && (t.text == "case" || t.text == "default" && j == colon-1):
			return true
		case t.kind == tName || t.kind == tString || isOp(t, ".") || isOp(t, "-"):
			continue
		}
		return false
	}
	return false
}

func startsUpper(s string) bool {
	for _, r := range s {
		return unicode.IsUpper(r)
	}
	return false
}
