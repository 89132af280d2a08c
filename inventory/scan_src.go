package inventory

import "strings"

func isOp(t tok, op string) bool { return t.kind == tOp && t.text == op }

// srcConst is a same-file constant of a Python or TypeScript file.
type srcConst struct {
	value string
	off   int
	ok    bool // a plain string literal defined exactly once
	used  bool
}

// srcDeferred is a from argument naming a constant the file does not
// define: a bare name, or an expression (expr, with the unknown names
// between unknownMark; via and defaults are what expr reported).
type srcDeferred struct {
	name                string
	expr, via, defaults string
	un                  Unresolved
}

// srcScan holds the state shared by the Python and TypeScript scanners.
type srcScan struct {
	deferred   []srcDeferred
	origin     string
	l          *lexer
	toks       []tok
	consts     map[string]*srcConst
	defaults   map[string]bool // names given an image default
	params     []srcParam      // every string default of a parameter or property
	order      []string
	images     []ImageRef
	unresolved []Unresolved
	ix         *srcIndex               // index1
	usedLog    []*srcConst             // markUsed, for possible to take back
	poss       map[possKey]*possResult // possible, per variable (nil: not resolvable)
}

// markUsed marks a constant used (not reported as an unused image
// constant), noting it so that possible can take it back when the
// variable it evaluated turns out not resolvable.
func (s *srcScan) markUsed(c *srcConst) {
	if !c.used {
		c.used = true
		s.usedLog = append(s.usedLog, c)
	}
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
	if len(arg) == 1 && arg[0].kind == tName && s.defaults[arg[0].text] && s.imageDefaultOf(arg[0]) ||
		len(arg) == 3 && (arg[0].text == "self" || arg[0].text == "this") && isOp(arg[1], ".") && s.defaults[arg[2].text] {
		return // a parameter or field whose image default is reported where it is written
	}
	if len(arg) == 1 && arg[0].kind == tName {
		if c := s.consts[arg[0].text]; c != nil && c.ok {
			// Reported at the use; Literal is the constant, where pin
			// writes the digest.
			s.markUsed(c)
			n := len(s.images)
			s.add(arg[0].off, "const", arg[0].text, c.value)
			if len(s.images) > n {
				lit := s.l.position(c.off)
				s.images[n].Literal = &lit
			}
			return
		}
	}
	if v, via, name, ok := s.expr(arg); ok {
		if strings.Contains(v, unknownMark) {
			// Built from names another file of the module may define.
			reason := "built from names that are not constants of this file (parameters, fields or imports)"
			switch expr := s.text(arg); {
			case len(arg) == 1 && arg[0].kind == tTemplate && strings.HasPrefix(expr, "`"):
				reason = "template literal built at run time"
			case len(arg) == 1 && arg[0].kind == tTemplate:
				reason = "f-string built at run time"
			}
			s.deferred = append(s.deferred, srcDeferred{expr: v, via: via, defaults: name,
				un: Unresolved{Pos: s.l.position(arg[0].off), Origin: s.origin, Expr: s.text(arg), Reason: reason}})
			return
		}
		s.add(arg[0].off, via, name, v)
		return
	}
	if len(arg) == 1 && s.possible(arg[0]) {
		return
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

// imageDefaultOf reports whether the bare name use is a parameter of the
// enclosing function whose image default is reported where it is written
// (the same name in another function is another variable).
func (s *srcScan) imageDefaultOf(use tok) bool {
	p, ok := s.paramDefault(use.text, s.index(use.off), false)
	return ok && LooksLikeImage(p.value) && !isHostPort(p.value)
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
