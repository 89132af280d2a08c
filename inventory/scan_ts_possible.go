package inventory

import (
	"slices"
	"strings"
)

// possibleTS is possible for TypeScript: a let/var/const declared in a
// block that holds the use, whose initializer and every assignment in
// that block (if/else, switch cases, a default then overridden, a
// conditional expression) are string constants, concatenations of them or
// same-file constants, yields one image per possible value at the use;
// assigned once, it is a constant of the block. It returns nil when the
// name is not declared in an enclosing block (a parameter, a field, an
// import), is redeclared inside it, or is assigned anything else (another
// variable, a call, +=) there.
func (s *srcScan) possibleTS(name string, decl, start, end int) *possResult {
	ix := s.index1()
	r := &possResult{}
	assign := func(k int) bool { // the value starting at token k
		stop := s.statementEnd(k)
		vs, ok := s.tsValues(s.toks[k:stop])
		if !ok {
			return false
		}
		r.n++
		for _, v := range vs {
			if !LooksLikeImage(v) || isHostPort(v) {
				return false
			}
			if !slices.Contains(r.vals, v) {
				r.vals = append(r.vals, v)
			}
		}
		r.lit, r.single = s.toks[k].off, stop == k+1 && s.toks[k].kind == tString
		return true
	}
	// The declaration: let img = ..., let img: string = ..., let img: string.
	j := decl + 1
	if j < end && isOp(s.toks[j], ":") {
		for j < end && !isOp(s.toks[j], "=") && !isOp(s.toks[j], ";") && s.line(s.toks[j].off) == s.line(s.toks[decl].off) {
			j++
		}
	}
	if j < end && (s.toks[j].kind == tName && (s.toks[j].text == "of" || s.toks[j].text == "in")) {
		return nil // a loop variable
	}
	if j < end && isOp(s.toks[j], "=") && !assign(j+1) {
		return nil
	}
	for _, k := range ix.occurrences(name, decl+1, end-1) {
		if isOp(s.toks[k-1], ".") {
			continue
		}
		if isDeclKeyword(s.toks[k-1]) {
			return nil // redeclared in an inner block
		}
		next := s.toks[k+1]
		if next.kind == tName && (next.text == "of" || next.text == "in") || s.tsPattern(k, start) {
			return nil // for (img of ...), [img] = ..., ({ img } = ...): assigned another way
		}
		if next.kind == tOp && augmented[next.text] || (isOp(next, "??") || isOp(next, "||") || isOp(next, "&&")) &&
			k+2 < end && isOp(s.toks[k+2], "=") {
			return nil // +=, ??=, ...: built at run time
		}
		if isOp(next, "=") && !assign(k+2) {
			return nil
		}
	}
	if r.n == 0 {
		return nil
	}
	return r
}

// tsDecl finds the let/var/const declaration of name whose block holds
// the token at index at: its token index (-1: none, a parameter, a field,
// an import), the index of the block's "{" (-1 at the top level) and the
// index after its "}".
func (s *srcScan) tsDecl(name string, at int) (decl, start, end int) {
	ix := s.index1()
	ds := ix.decls[name]
	for i, tried := len(ds)-1, 0; i >= 0 && tried < maxChain; i-- {
		if ds[i] >= at {
			continue
		}
		tried++
		b := s.block(ds[i])
		if b < -1 {
			return -1, -1, len(s.toks)
		}
		e := len(s.toks)
		if b >= 0 {
			e = ix.after[b]
		}
		if at < e {
			return ds[i], b, e
		}
	}
	return -1, -1, len(s.toks)
}

func isDeclKeyword(t tok) bool {
	return t.kind == tName && (t.text == "let" || t.text == "var" || t.text == "const")
}

// block returns the index of the "{" opening the block that holds the
// token at k (-1 at the top level; -2 when the brackets nest deeper than
// maxChain).
func (s *srcScan) block(k int) int {
	ix := s.index1()
	j := ix.open[k]
	for n := 0; j >= 0 && !isOp(s.toks[j], "{"); n++ {
		if n > maxChain {
			return -2
		}
		j = ix.open[j]
	}
	return j
}

// tsPattern reports whether the name at k is inside a destructuring
// pattern that is assigned ([a, img] = ..., ({ img } = ...)): an array or
// object literal, inside the block opened at start, whose closing bracket
// is followed by "=".
func (s *srcScan) tsPattern(k, start int) bool {
	ix := s.index1()
	n := 0
	for j := ix.open[k]; j > start; j = ix.open[j] {
		if n++; n > maxChain {
			return true // not understood: unresolved
		}
		t := s.toks[j]
		member := false
		if j > 0 {
			prev := s.toks[j-1]
			member = isOp(t, "[") && (prev.kind == tName || isOp(prev, ")") || isOp(prev, "]"))
		}
		if c := ix.after[j]; !isOp(t, "(") && !member && c < len(s.toks) && isOp(s.toks[c], "=") {
			return true
		}
	}
	return false
}

// statementEnd is the index after the expression starting at k: before a
// ";", ",", ")", "]" or "}" outside brackets, or the first token of a
// later line that does not continue the expression.
func (s *srcScan) statementEnd(k int) int {
	depth := 0
	for j := k; j < len(s.toks); j++ {
		t := s.toks[j]
		if j > k && depth == 0 && s.line(t.off) > s.line(s.toks[j-1].off) &&
			!(t.kind == tOp && strings.Contains("+?:", t.text)) && !(s.toks[j-1].kind == tOp && strings.Contains("+?:=", s.toks[j-1].text)) {
			return j
		}
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			if depth == 0 {
				return j
			}
			depth--
		case ";", ",":
			if depth == 0 {
				return j
			}
		}
	}
	return len(s.toks)
}

// tsValues evaluates an assigned value: string literals, a constant of the
// file, a concatenation or template of constants (srcScan.expr, without
// parameter defaults or names of other files), or a conditional
// expression cond ? A : B whose branches are such values.
func (s *srcScan) tsValues(v []tok) ([]string, bool) {
	if len(v) == 0 {
		return nil, false
	}
	if len(v) >= 2 && isOp(v[0], "(") && (&srcScan{toks: v}).closing(0) == len(v) {
		return s.tsValues(v[1 : len(v)-1])
	}
	depth, q := 0, -1
	for i, t := range v {
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case "?":
			if depth == 0 && q < 0 {
				q = i
			}
		}
	}
	if q >= 0 {
		nested, c := 0, -1
		for i := q + 1; i < len(v) && c < 0; i++ {
			switch {
			case isOp(v[i], "?"):
				nested++
			case isOp(v[i], ":") && nested == 0:
				c = i
			case isOp(v[i], ":"):
				nested--
			}
		}
		if c < 0 {
			return nil, false
		}
		return bothValues(s.tsValues, v[q+1:c], v[c+1:])
	}
	return s.leafValues(v)
}
