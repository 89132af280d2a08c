package inventory

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// reTemplateName matches a substitution that is a bare name (or
// self.name, this.name): {NAME} in an f-string, ${NAME} in a template
// literal.
var reTemplateName = regexp.MustCompile(`^(?:(?:self|this)\.)?[A-Za-z_][A-Za-z0-9_]*$`)

// templateWith evaluates an f-string or template literal whose
// substitutions lookup resolves (constants of this file, parameter
// defaults): f"python:{PY_VERSION}-slim",
// `node:${NODE_VERSION}`. Anything else (expressions, format specs,
// escapes, triple quotes) is not evaluated.
func (s *srcScan) templateWith(raw string, lookup func(string) (string, bool)) (string, bool) {
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
		if !reTemplateName.MatchString(name) {
			return "", false
		}
		v, ok := lookup(name)
		if !ok {
			return "", false
		}
		b.WriteString(v)
		body = rest[j+1:]
	}
}

// srcParam is a string default of a named parameter or property:
// version: str = "16", version: string = "16", version?: string = "16".
type srcParam struct {
	name, value string
	off         int // the default's first token
	idx         int // its token index
}

// index returns the token index of the token at offset off.
func (s *srcScan) index(off int) int {
	return sort.Search(len(s.toks), func(i int) bool { return s.toks[i].off >= off })
}

// paramDefault is the default of the parameter name that an expression at
// token index at uses: the nearest default before it (in Python, of the
// enclosing def). field is true for self.name / this.name, a property.
func (s *srcScan) paramDefault(name string, at int, field bool) (srcParam, bool) {
	def := -1
	if s.origin == "python" && !field && at < len(s.toks) {
		def = s.index1().def[at]
	}
	for k := len(s.params) - 1; k >= 0; k-- {
		p := s.params[k]
		if p.name == name && p.idx > def && (field || p.idx < at && (s.origin != "typescript" || s.paramOf(p.idx, at))) {
			return p, true
		}
	}
	return srcParam{}, false
}

// paramOf reports whether the TypeScript default at token index p is in
// the parameter list of a function whose body holds token index at (the
// nearest default before a use may belong to another method).
func (s *srcScan) paramOf(p, at int) bool {
	ix := s.index1()
	open := ix.open[p]
	for n := 0; open >= 0 && !isOp(s.toks[open], "("); n++ {
		if n > maxChain {
			return false
		}
		open = ix.open[open]
	}
	if open < 0 {
		return false // a property default: not a parameter
	}
	// The body: the first "{" after the list, past a return type or =>.
	for k := ix.after[open]; k < len(s.toks) && k <= at; k++ {
		t := s.toks[k]
		switch {
		case isOp(t, "{"):
			return at < ix.after[k]
		case isOp(t, ";") || isOp(t, "}") || isOp(t, ")"):
			return false
		}
	}
	return false
}

// exprEval is what expr collects while evaluating one argument.
type exprEval struct {
	s        *srcScan
	at       int
	consts   []*srcConst
	defaults []string // "name (default at file:line)" of the defaults used
	unknown  []string // names this file does not define (marked in the value)
}

// unknownMark brackets, in an expression's value, a name the file does
// not define.
const unknownMark = "\x00"

// lookup is the value of a name in an expression or a template
// substitution: a constant of this file, else a parameter or property
// default (self.x, this.x).
func (e *exprEval) lookup(name string) (string, bool) {
	if c := e.s.consts[name]; c != nil && c.ok {
		e.consts = append(e.consts, c)
		return c.value, true
	}
	field := false
	if n, ok := strings.CutPrefix(name, "self."); ok && e.s.origin == "python" {
		name, field = n, true
	} else if n, ok := strings.CutPrefix(name, "this."); ok && e.s.origin == "typescript" {
		name, field = n, true
	}
	p, ok := e.s.paramDefault(name, e.at, field)
	if !ok && !field && e.s.consts[name] == nil {
		// Not defined in this file: another file of the module may
		// define it (resolveSrcModules substitutes the marker).
		e.unknown = append(e.unknown, name)
		return unknownMark + name + unknownMark, true
	}
	if !ok {
		return "", false
	}
	pos := e.s.l.position(p.off)
	e.defaults = append(e.defaults, fmt.Sprintf("%s (default at %s:%d)", name, pos.File, pos.Line))
	return p.value, true
}

// expr evaluates a from argument built of string literals, constants of
// this file, parameter and property defaults, f-strings and template
// literals joined by +: "postgres:" + version with version: str = "16",
// f"python:{v}", `node:${v}`. A bare name is not an expression (its
// default is reported where it is written). via is "default" when a
// default took part (name lists them), else "template" or "concat".
//
// A name the file does not define leaves its marker in v (unknownMark
// NAME unknownMark): the caller defers the expression to the other files
// of the module.
func (s *srcScan) expr(arg []tok) (v, via, name string, ok bool) {
	e := &exprEval{s: s, at: s.index(arg[0].off)}
	var b strings.Builder
	template, plus := false, 0
	for i := 0; ; {
		if i >= len(arg) {
			return "", "", "", false
		}
		t := arg[i]
		switch {
		case t.kind == tString:
			for i < len(arg) && arg[i].kind == tString {
				b.WriteString(arg[i].val)
				i++
			}
		case t.kind == tTemplate:
			tv, ok := s.templateWith(t.text, e.lookup)
			if !ok {
				return "", "", "", false
			}
			b.WriteString(tv)
			template = true
			i++
		case t.kind == tName && (t.text == "self" || t.text == "this") && i+2 < len(arg) && isOp(arg[i+1], ".") && arg[i+2].kind == tName:
			fv, ok := e.lookup(t.text + "." + arg[i+2].text)
			if !ok {
				return "", "", "", false
			}
			b.WriteString(fv)
			i += 3
		case t.kind == tName:
			nv, ok := e.lookup(t.text)
			if !ok {
				return "", "", "", false
			}
			b.WriteString(nv)
			i++
		default:
			return "", "", "", false
		}
		if i == len(arg) {
			break
		}
		if !isOp(arg[i], "+") {
			return "", "", "", false
		}
		plus++
		i++
	}
	if !template && plus == 0 {
		return "", "", "", false
	}
	for _, c := range e.consts {
		s.markUsed(c)
	}
	switch {
	case len(e.defaults) > 0:
		via, name = "default", strings.Join(slices.Compact(e.defaults), ", ")
	case template:
		via = "template"
	default:
		via = "concat"
	}
	return b.String(), via, name, true
}
