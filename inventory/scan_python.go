package inventory

import (
	"regexp"
	"slices"
	"strings"
)

// ScanPython finds container image references in Python module source:
// .from_("...") calls (positional or address=...), their arguments
// resolved through module-level UPPER_CASE constants, Annotated[...] =
// "..." parameter defaults, field(default="...") and ": str = ..." defaults
// that look like images, and image-looking module constants whose name
// mentions an image. f-strings and other expressions are Unresolved.
// An unterminated string is a *ParseError.
func ScanPython(file string, data []byte) ([]ImageRef, []Unresolved, error) {
	imgs, un, info, err := scanPython(file, data)
	if info != nil {
		for _, d := range info.deferred {
			un = append(un, d.un)
		}
		slices.SortStableFunc(un, func(a, b Unresolved) int { return cmpPos(a.Pos, b.Pos) })
	}
	return imgs, un, err
}

func scanPython(file string, data []byte) ([]ImageRef, []Unresolved, *srcFileInfo, error) {
	l, perr := lexPython(file, data)
	if perr != nil {
		return nil, nil, nil, perr
	}
	toks := l.toks
	s := &srcScan{origin: "python", l: l, toks: toks, consts: map[string]*srcConst{},
		defaults: map[string]bool{}}
	// Module-level constants: NAME [: type] = "..." at column 1.
	for i, t := range toks {
		if !t.first || t.kind != tName || !isUpperName(t.text) {
			continue
		}
		j := i + 1
		if j < len(toks) && toks[j].kind == tOp && toks[j].text == ":" {
			for j < len(toks) && !(toks[j].kind == tOp && toks[j].text == "=") && toks[j].kind != tNewline {
				j++
			}
		}
		if j+1 >= len(toks) || toks[j].kind != tOp || toks[j].text != "=" {
			continue
		}
		v, k, ok := s.strings(j + 1)
		end := k >= len(toks) || toks[k].kind == tNewline
		s.define(t.text, toks[j+1].off, v, ok && end)
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tName && t.text == "from_" && i > 0 && isOp(toks[i-1], ".") && i+1 < len(toks) && isOp(toks[i+1], "("):
			s.call(i+1, "address")
		case t.kind == tName && t.text == "Annotated" && i+1 < len(toks) && isOp(toks[i+1], "["):
			if k := s.closing(i + 1); k+1 < len(toks) && isOp(toks[k], "=") {
				s.defaultAt(k+1, "annotated")
			}
		case t.kind == tName && t.text == "default" && i+1 < len(toks) && isOp(toks[i+1], "="):
			s.defaultAt(i+2, "default")
		case t.kind == tName && t.text == "str" && i > 1 && isOp(toks[i-1], ":") && !toks[i-2].first &&
			i+1 < len(toks) && isOp(toks[i+1], "="):
			s.defaultAt(i+2, "param")
		}
	}
	s.unusedConsts()
	return s.images, s.unresolved, s.fileInfo(), nil
}

func isOp(t tok, op string) bool { return t.kind == tOp && t.text == op }

func isUpperName(n string) bool {
	letter := false
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c >= 'A' && c <= 'Z':
			letter = true
		case c == '_' || c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letter
}

// srcConst is a same-file constant of a Python or TypeScript file.
type srcConst struct {
	value string
	off   int
	ok    bool // a plain string literal defined exactly once
	used  bool
}

// srcDeferred is a from argument naming a constant the file does not
// define.
type srcDeferred struct {
	name string
	un   Unresolved
}

// srcScan holds the state shared by the Python and TypeScript scanners.
type srcScan struct {
	deferred   []srcDeferred
	origin     string
	l          *lexer
	toks       []tok
	consts     map[string]*srcConst
	defaults   map[string]bool // names given an image default
	order      []string
	images     []ImageRef
	unresolved []Unresolved
}

func (s *srcScan) define(name string, off int, v string, ok bool) {
	if c, dup := s.consts[name]; dup {
		c.ok = false
		return
	}
	s.consts[name] = &srcConst{value: v, off: off, ok: ok}
	s.order = append(s.order, name)
}

// strings reads adjacent plain string literals from i (implicit
// concatenation, or "+" in TypeScript); k is the index after them.
func (s *srcScan) strings(i int) (v string, k int, ok bool) {
	k = i
	for k < len(s.toks) && s.toks[k].kind == tString {
		v += s.toks[k].val
		k++
		if s.origin == "typescript" && k+1 < len(s.toks) && isOp(s.toks[k], "+") && s.toks[k+1].kind == tString {
			k++
		}
	}
	return v, k, k > i
}

// closing returns the index after the bracket that closes the one at i.
func (s *srcScan) closing(i int) int {
	depth := 0
	for k := i; k < len(s.toks); k++ {
		if s.toks[k].kind != tOp {
			continue
		}
		switch s.toks[k].text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
			if depth == 0 {
				return k + 1
			}
		}
	}
	return len(s.toks)
}

// call handles a from(...) call whose "(" is at i: the first positional
// argument or the keyword argument kw.
func (s *srcScan) call(i int, kw string) {
	end := s.closing(i) - 1
	var arg []tok
	start := i + 1
	depth := 0
	pick := func(a []tok) {
		if len(a) >= 2 && a[0].kind == tName && isOp(a[1], "=") {
			if a[0].text == kw {
				arg = a[2:]
			}
			return
		}
		if arg == nil {
			arg = a
		}
	}
	for k := i + 1; k < end; k++ {
		t := s.toks[k]
		if t.kind == tOp {
			switch t.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			case ",":
				if depth == 0 {
					pick(s.toks[start:k])
					start = k + 1
				}
			}
		}
	}
	if start < end {
		pick(s.toks[start:end])
	}
	if len(arg) == 0 {
		return
	}
	s.resolve(arg, "from")
}

// resolve turns an argument into an ImageRef or an Unresolved.
func (s *srcScan) resolve(arg []tok, via string) {
	if v, k, ok := (&srcScan{origin: s.origin, toks: arg}).strings(0); ok && k == len(arg) {
		s.add(arg[0].off, via, "", v)
		return
	}
	if len(arg) == 1 && arg[0].kind == tName && s.defaults[arg[0].text] ||
		len(arg) == 3 && (arg[0].text == "self" || arg[0].text == "this") && isOp(arg[1], ".") && s.defaults[arg[2].text] {
		return // a parameter or field whose image default is reported where it is written
	}
	if len(arg) == 1 && arg[0].kind == tName {
		if c := s.consts[arg[0].text]; c != nil && c.ok {
			// Reported at the use; Literal is the constant, where pin
			// writes the digest.
			c.used = true
			n := len(s.images)
			s.add(arg[0].off, "const", arg[0].text, c.value)
			if len(s.images) > n {
				lit := s.l.position(c.off)
				s.images[n].Literal = &lit
			}
			return
		}
	}
	if len(arg) == 1 && arg[0].kind == tTemplate {
		if v, ok := s.template(arg[0].text); ok {
			s.markTemplateUsed(arg[0].text)
			s.add(arg[0].off, "template", "", v)
			return
		}
	}
	expr := s.text(arg)
	reason := "not a string literal or constant of this file"
	switch {
	case arg[0].kind == tTemplate && strings.ContainsAny(expr[:min(3, len(expr))], "fF"):
		reason = "f-string built at run time"
	case arg[0].kind == tTemplate && strings.HasPrefix(expr, "`"):
		reason = "template literal built at run time"
	case len(arg) == 1 && arg[0].kind == tName:
		if c := s.consts[arg[0].text]; c != nil {
			reason = arg[0].text + " is defined more than once or not as a plain string"
		} else {
			reason = arg[0].text + " is not a constant of this file (a parameter, field or import)"
			// Another file of the module may define it (Collect resolves
			// it against their module-level constants).
			s.deferred = append(s.deferred, srcDeferred{name: arg[0].text,
				un: Unresolved{Pos: s.l.position(arg[0].off), Origin: s.origin, Expr: s.text(arg), Reason: reason}})
			return
		}
	case len(arg) > 1 && isOp(arg[len(arg)-1], ")"):
		reason = "built at run time by a call"
	}
	s.unresolved = append(s.unresolved, Unresolved{Pos: s.l.position(arg[0].off), Origin: s.origin,
		Expr: expr, Reason: reason})
}

func (s *srcScan) text(arg []tok) string {
	last := arg[len(arg)-1]
	end := last.off + max(len(last.text), 1)
	if last.kind == tString {
		end = last.off + 1
		for end < len(s.l.data) && s.l.data[end] != s.l.data[last.off] {
			end++
		}
		end++
	}
	return clip(string(s.l.data[arg[0].off:min(end, len(s.l.data))]))
}

func (s *srcScan) add(off int, via, name, ref string) {
	img, err := newImageRef(s.l.position(off), s.origin, via, name, ref)
	if err != nil {
		s.unresolved = append(s.unresolved, Unresolved{Pos: s.l.position(off), Origin: s.origin,
			Expr: clip(ref), Reason: "not a valid image reference: " + err.Error()})
		return
	}
	s.images = append(s.images, img)
}

// defaultAt reports a string default at i when it looks like an image.
//
// A default in parentheses, ("alpine:3.20") or ("alpine:" "3.20") as
// formatters write long values, is the same value.
func (s *srcScan) defaultAt(i int, via string) {
	name := ""
	if via != "default" {
		name = s.nameBefore(i - 1)
	}
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
	if !ok || !LooksLikeImage(v) || isHostPort(v) {
		return
	}
	if k < len(s.toks) && !(s.toks[k].kind == tNewline || isOp(s.toks[k], ",") || isOp(s.toks[k], ")") ||
		isOp(s.toks[k], ";") || isOp(s.toks[k], "}") || s.line(s.toks[k].off) > s.line(s.toks[k-1].off)) {
		return // part of a larger expression
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

// reTemplateName matches a substitution that is a bare name: {NAME} in an
// f-string, ${NAME} in a template literal.
var reTemplateName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// template evaluates an f-string or template literal whose substitutions
// are all constants of this file: f"python:{PY_VERSION}-slim",
// `node:${NODE_VERSION}`. Anything else (expressions, format specs,
// escapes, triple quotes) is not evaluated.
func (s *srcScan) template(raw string) (string, bool) {
	var body string
	var open string
	switch {
	case strings.HasPrefix(raw, "`") && strings.HasSuffix(raw, "`") && len(raw) >= 2:
		body, open = raw[1:len(raw)-1], "${"
	default:
		i := strings.IndexAny(raw, "\"'")
		if i < 0 || i > 2 || !strings.ContainsAny(raw[:i], "fF") || strings.ContainsAny(raw[:i], "rRbB") {
			return "", false
		}
		q := raw[i]
		if len(raw) < i+2 || raw[len(raw)-1] != q || strings.HasPrefix(raw[i:], string([]byte{q, q, q})) {
			return "", false
		}
		body, open = raw[i+1:len(raw)-1], "{"
	}
	if strings.Contains(body, "\\") || strings.Contains(body, "{{") || strings.Contains(body, "}}") && open == "{" {
		return "", false
	}
	var b strings.Builder
	for {
		i := strings.Index(body, open)
		if i < 0 {
			if open == "{" && strings.Contains(body, "}") {
				return "", false
			}
			b.WriteString(body)
			return b.String(), true
		}
		b.WriteString(body[:i])
		rest := body[i+len(open):]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return "", false
		}
		name := strings.TrimSpace(rest[:j])
		c := s.consts[name]
		if !reTemplateName.MatchString(name) || c == nil || !c.ok {
			return "", false
		}
		b.WriteString(c.value)
		body = rest[j+1:]
	}
}

// markTemplateUsed marks the constants a resolved template names as used.
func (s *srcScan) markTemplateUsed(raw string) {
	for n, c := range s.consts {
		if strings.Contains(raw, "{"+n+"}") {
			c.used = true
		}
	}
}
