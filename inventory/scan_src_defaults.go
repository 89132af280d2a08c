package inventory

import "strings"

// defaultAt reports a string default at i when it looks like an image,
// and keeps every string default of a named parameter or property (a
// version: str = "16") for the expressions that use it (srcScan.expr).
//
// A default in parentheses, ("alpine:3.20") or ("alpine:" "3.20") as
// formatters write long values, is the same value.
func (s *srcScan) defaultAt(i int, via string) {
	name := ""
	if via != "default" {
		name = s.nameBefore(i - 1)
	} else {
		name = s.fieldName(i)
	}
	s.defaultNamed(i, via, name)
}

// fieldName is the name of the dataclass field whose default= value
// starts at i: version: str = field(default="16") (also dataclasses.field).
func (s *srcScan) fieldName(i int) string {
	k := i - 4 // default = ( field
	if k < 1 || !isOp(s.toks[i-1], "=") || !isOp(s.toks[i-3], "(") || s.toks[k].text != "field" {
		return ""
	}
	if k >= 2 && isOp(s.toks[k-1], ".") {
		k -= 2
	}
	if k < 1 || !isOp(s.toks[k-1], "=") {
		return ""
	}
	return s.nameBefore(k - 1)
}

// defaultNamed is defaultAt for the default of name (a parameter or
// property; "" when it has none).
func (s *srcScan) defaultNamed(i int, via, name string) {
	parens := 0
	for i < len(s.toks) && isOp(s.toks[i], "(") {
		parens++
		i++
	}
	v, k, ok := s.strings(i)
	for ; parens > 0 && ok; parens-- {
		if k >= len(s.toks) || !isOp(s.toks[k], ")") {
			return // a call or a larger expression
		}
		k++
	}
	if !ok {
		return
	}
	if k < len(s.toks) && !(s.toks[k].kind == tNewline || isOp(s.toks[k], ",") || isOp(s.toks[k], ")") ||
		isOp(s.toks[k], ";") || isOp(s.toks[k], "}") || s.line(s.toks[k].off) > s.line(s.toks[k-1].off)) {
		return // part of a larger expression
	}
	if name != "" {
		s.params = append(s.params, srcParam{name: name, value: v, off: s.toks[i].off, idx: i})
	}
	if !LooksLikeImage(v) || isHostPort(v) {
		return
	}
	s.add(s.toks[i].off, via, name, v)
	if name != "" {
		s.defaults[name] = true
	}
}

// nameBefore returns the parameter or property name an "=" at eq
// assigns: x = ..., x: T = ..., x?: T = ..., x: Annotated[...] = ...
func (s *srcScan) nameBefore(eq int) string {
	k := eq - 1
	// A union type: x: string | undefined = ..., x: str | None = ...
	for k >= 2 && s.toks[k].kind == tName && isOp(s.toks[k-1], "|") && s.toks[k-2].kind == tName {
		k -= 2
	}
	if k >= 0 && isOp(s.toks[k], "]") {
		depth := 0
		for ; k >= 0; k-- {
			if isOp(s.toks[k], "]") {
				depth++
			} else if isOp(s.toks[k], "[") {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		k-- // the generic type name (Annotated)
	}
	if k < 0 || s.toks[k].kind != tName {
		return ""
	}
	if k >= 2 && isOp(s.toks[k-1], ":") {
		k -= 2
		if k >= 1 && isOp(s.toks[k], "?") {
			k--
		}
	}
	if k >= 0 && s.toks[k].kind == tName {
		return s.toks[k].text
	}
	return ""
}

// unusedConsts reports image-looking constants not passed to from():
// those whose name mentions an image, or whose value has a digest.
func (s *srcScan) unusedConsts() {
	for _, n := range s.order {
		c := s.consts[n]
		if c.used || !c.ok || !LooksLikeImage(c.value) || isHostPort(c.value) {
			continue
		}
		if imageName(n) || strings.Contains(c.value, "@sha256:") {
			s.add(c.off, "const", n, c.value)
		}
	}
}

// imageName reports whether a constant's name says it holds an image.
func imageName(n string) bool {
	n = strings.ToLower(n)
	return strings.Contains(n, "image") || strings.Contains(n, "img") || strings.HasSuffix(n, "base") ||
		strings.Contains(n, "container")
}

// isHostPort reports values like "redis:6379" or "localhost:5000": one
// name component and a numeric tag of four or more digits.
func isHostPort(v string) bool {
	name, tag, ok := strings.Cut(v, ":")
	if !ok || strings.ContainsAny(name, "/@") || len(tag) < 4 {
		return false
	}
	for i := 0; i < len(tag); i++ {
		if tag[i] < '0' || tag[i] > '9' {
			return false
		}
	}
	return true
}

func (s *srcScan) line(off int) int {
	l, _ := s.l.li.Pos(off)
	return l
}
