package inventory

import "slices"

// possible reports a Python local variable that the enclosing function
// assigns a constant string on every assignment (if/else or match arms,
// a default then overridden) as one image per possible value, at the use,
// as Go's possible does; assigned once, it is a constant of the function.
// It returns false when the name is a parameter of the function, is
// assigned anything else (a call, another variable, an augmented
// assignment) or never, or the file is not Python.
func (s *srcScan) possible(use tok) bool {
	if s.origin != "python" || use.kind != tName {
		return false
	}
	at := s.index(use.off)
	def := -1 // the enclosing function: the nearest def before the use
	for k := at - 1; k >= 0 && def < 0; k-- {
		if s.toks[k].kind == tName && s.toks[k].text == "def" {
			def = k
		}
	}
	if def < 0 || def+2 >= len(s.toks) || !isOp(s.toks[def+2], "(") {
		return false
	}
	params := s.closing(def + 2)
	for k := def + 3; k < params-1; k++ {
		if t := s.toks[k]; t.kind == tName && t.text == use.text && (isOp(s.toks[k-1], "(") || isOp(s.toks[k-1], ",")) {
			return false // a parameter: the caller decides
		}
	}
	end := len(s.toks)
	for k := params; k < len(s.toks); k++ {
		if s.toks[k].kind == tName && s.toks[k].text == "def" && k != def {
			end = k
			break
		}
	}
	var vals []string
	n, lit, single := 0, 0, false
	for k := params; k+1 < end; k++ {
		t := s.toks[k]
		if t.kind != tName || t.text != use.text || k > 0 && isOp(s.toks[k-1], ".") {
			continue
		}
		next := s.toks[k+1]
		if augmented[next.text] && next.kind == tOp {
			return false // +=, :=, ...: built at run time
		}
		if !isOp(next, "=") {
			continue
		}
		n++
		v, j, ok := s.strings(k + 2)
		if !ok || j < len(s.toks) && s.toks[j].kind != tNewline || !LooksLikeImage(v) {
			return false
		}
		if !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
		lit, single = s.toks[k+2].off, j == k+3
	}
	switch {
	case n == 0:
		return false
	case n == 1:
		// Assigned once: a constant of the function, reported at the use
		// with its literal (where pin writes the digest).
		i := len(s.images)
		s.add(use.off, "const", use.text, vals[0])
		if single && len(s.images) > i {
			p := s.l.position(lit)
			s.images[i].Literal = &p
		}
		return true
	}
	for _, v := range vals {
		s.add(use.off, "possible", use.text, v)
	}
	return true
}

// augmented are the operators that assign something other than a plain
// value.
var augmented = map[string]bool{"+=": true, "-=": true, "*=": true, "/=": true, "|=": true, "&=": true,
	"%=": true, "^=": true, ":=": true}
