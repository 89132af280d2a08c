package inventory

import (
	"slices"
	"strings"
)

// possible reports a Python local variable that the enclosing function
// assigns a constant string on every assignment (if/else or match arms,
// a default then overridden) as one image per possible value, at the use,
// as Go's possible does; assigned once, it is a constant of the function.
// It returns false when the name is a parameter of the function, is
// assigned anything else (a call, another variable, an augmented or tuple
// assignment, a loop) or never. TypeScript: possibleTS. The result is
// computed once per variable (srcScan.poss).
func (s *srcScan) possible(use tok) bool {
	if use.kind != tName {
		return false
	}
	at := s.index(use.off)
	var key possKey
	var compute func() *possResult
	if s.origin == "typescript" {
		decl, start, end := s.tsDecl(use.text, at)
		if decl < 0 {
			return false
		}
		key = possKey{decl, use.text}
		compute = func() *possResult { return s.possibleTS(use.text, decl, start, end) }
	} else {
		def := s.index1().def[at]
		if def < 0 {
			return false
		}
		key = possKey{def, use.text}
		compute = func() *possResult { return s.possiblePy(use.text, def) }
	}
	if s.poss == nil {
		s.poss = map[possKey]*possResult{}
	}
	r, done := s.poss[key]
	if !done {
		mark := len(s.usedLog)
		r = compute()
		if r == nil { // the constants it read are not used by this use
			for _, c := range s.usedLog[mark:] {
				c.used = false
			}
			s.usedLog = s.usedLog[:mark]
		}
		s.poss[key] = r
	}
	if r == nil {
		return false
	}
	if r.n == 1 && len(r.vals) == 1 {
		// Assigned once: a constant of the scope, reported at the use
		// with its literal (where pin writes the digest).
		i := len(s.images)
		s.add(use.off, "const", use.text, r.vals[0])
		if r.single && len(s.images) > i {
			p := s.l.position(r.lit)
			s.images[i].Literal = &p
		}
		return true
	}
	for _, v := range r.vals {
		s.add(use.off, "possible", use.text, v)
	}
	return true
}

// possiblePy is possible's work for the variable name of the Python
// function whose def is at token index def.
func (s *srcScan) possiblePy(name string, def int) *possResult {
	ix := s.index1()
	if def+2 >= len(s.toks) || !isOp(s.toks[def+2], "(") {
		return nil
	}
	params := ix.after[def+2]
	for _, k := range ix.occurrences(name, def+3, params-1) {
		if isOp(s.toks[k-1], "(") || isOp(s.toks[k-1], ",") {
			return nil // a parameter: the caller decides
		}
	}
	end := len(s.toks)
	if defs := ix.occurrences("def", params, len(s.toks)); len(defs) > 0 {
		end = defs[0]
	}
	r := &possResult{}
	for _, k := range ix.occurrences(name, params, end-1) {
		if isOp(s.toks[k-1], ".") {
			continue
		}
		if p := s.toks[k-1]; p.kind == tName && (p.text == "for" || p.text == "as" || p.text == "global" || p.text == "nonlocal") {
			return nil // bound by a loop, with, except or another scope
		}
		next := s.toks[k+1]
		if augmented[next.text] && next.kind == tOp {
			return nil // +=, :=, ...: built at run time
		}
		if !isOp(next, "=") {
			if s.pyTarget(k) {
				return nil // img, x = ... or img: str = ...: assigned another way
			}
			continue
		}
		r.n++
		j := k + 2
		for j < len(s.toks) && s.toks[j].kind != tNewline {
			j++
		}
		vs, ok := s.pyValues(s.toks[k+2 : j])
		if !ok {
			return nil
		}
		for _, v := range vs {
			if !LooksLikeImage(v) || isHostPort(v) {
				return nil
			}
			if !slices.Contains(r.vals, v) {
				r.vals = append(r.vals, v)
			}
		}
		r.lit, r.single = s.toks[k+2].off, j == k+3 && s.toks[k+2].kind == tString
	}
	if r.n == 0 {
		return nil
	}
	return r
}

// pyValues evaluates an assigned value: string literals, a module
// constant, a concatenation or f-string of constants (srcScan.expr,
// without parameter defaults or names of other files), or a conditional
// expression A if cond else B whose branches are such values.
func (s *srcScan) pyValues(v []tok) ([]string, bool) {
	if len(v) == 0 {
		return nil, false
	}
	if len(v) >= 2 && isOp(v[0], "(") && (&srcScan{toks: v}).closing(0) == len(v) {
		return s.pyValues(v[1 : len(v)-1])
	}
	depth, cond, alt := 0, -1, -1
	for i, t := range v {
		switch {
		case isOp(t, "(") || isOp(t, "[") || isOp(t, "{"):
			depth++
		case isOp(t, ")") || isOp(t, "]") || isOp(t, "}"):
			depth--
		case depth == 0 && t.kind == tName && t.text == "if" && cond < 0:
			cond = i
		case depth == 0 && t.kind == tName && t.text == "else" && cond >= 0 && alt < 0:
			alt = i
		}
	}
	if cond >= 0 {
		if alt < 0 {
			return nil, false
		}
		return bothValues(s.pyValues, v[:cond], v[alt+1:])
	}
	return s.leafValues(v)
}

// leafValues is the value of v when it is no conditional: a string
// literal, a constant, or an expression of constants (pyValues and
// tsValues end here).
func (s *srcScan) leafValues(v []tok) ([]string, bool) {
	if str, k, ok := (&srcScan{origin: s.origin, toks: v}).strings(0); ok && k == len(v) {
		return []string{str}, true
	}
	if len(v) == 1 && v[0].kind == tName {
		if c := s.consts[v[0].text]; c != nil && c.ok {
			s.markUsed(c)
			return []string{c.value}, true
		}
		return nil, false
	}
	if str, via, _, ok := s.expr(v); ok && via != "default" && !strings.Contains(str, unknownMark) {
		return []string{str}, true
	}
	return nil, false
}

// bothValues is the values of both branches of a conditional, each by
// values; either branch unknown makes the whole unknown.
func bothValues(values func([]tok) ([]string, bool), x, y []tok) ([]string, bool) {
	a, ok := values(x)
	if !ok {
		return nil, false
	}
	b, ok := values(y)
	if !ok {
		return nil, false
	}
	return append(a, b...), true
}

// maxLine bounds the tokens of one logical line pyTarget reads: a longer
// line is taken as assigning the name (the use stays unresolved).
const maxLine = 4096

// pyTarget reports whether the name at token index k is assigned by its
// logical line other than as NAME = value: a tuple or list target
// (img, tag = ...), an annotated assignment (img: str = ...). A name in a
// subscript or call on the left (d[img] = ...) is read, not assigned.
func (s *srcScan) pyTarget(k int) bool {
	ls := k
	for ls > 0 && s.toks[ls-1].kind != tNewline {
		if ls--; k-ls > maxLine {
			return true
		}
	}
	var stack []bool // per open bracket: a tuple or list display
	inDisplay := true
	for j := ls; j < len(s.toks) && s.toks[j].kind != tNewline; j++ {
		if j-ls > 2*maxLine {
			return true
		}
		t := s.toks[j]
		if j == k {
			inDisplay = !slices.Contains(stack, false)
		}
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			prev := tok{}
			if j > ls {
				prev = s.toks[j-1]
			}
			stack = append(stack, !(prev.kind == tName || isOp(prev, ")") || isOp(prev, "]")))
		case ")", "]", "}":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case "=":
			if len(stack) == 0 {
				return j > k && inDisplay
			}
		}
	}
	return false
}

// augmented are the operators that assign something other than a plain
// value.
var augmented = map[string]bool{"+=": true, "-=": true, "*=": true, "/=": true, "|=": true, "&=": true,
	"%=": true, "^=": true, ":=": true}
