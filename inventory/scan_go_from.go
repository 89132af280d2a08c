package inventory

import (
	"go/ast"
	"slices"
	"strings"
)

// from resolves one From argument: an image at the use, nothing when a
// +default pragma or the possible values of a variable already report it,
// else an Unresolved (or a deferred one other files of the package may
// resolve).
func (s *goScan) from(arg ast.Expr) {
	if s.hasDefault(arg) {
		return // the +default image is reported where it is written
	}
	// Defaults of parameters and fields count inside a larger expression
	// ("postgres:" + version with +default="16"); a bare parameter whose
	// default is not an image stays unresolved.
	_, bare := arg.(*ast.Ident)
	_, field := arg.(*ast.SelectorExpr)
	s.withDefaults, s.usedDefaults = !bare && !field, nil
	v, ok := s.eval(arg)
	s.withDefaults = false
	if !ok && s.possible(arg) {
		return
	}
	if !ok {
		un := Unresolved{Pos: s.position(arg.Pos()), Origin: "go", Expr: s.text(arg), Reason: s.why(arg)}
		if !s.deferFrom(arg, un) {
			s.unresolved = append(s.unresolved, un)
		}
		return
	}
	// Reported once per use, where it is used; Name says which constant
	// it came from.
	pos, via, name := arg.Pos(), "from", ""
	if len(s.usedDefaults) > 0 {
		// Where its parts come from: the defaults it was built with.
		via, name = "default", strings.Join(slices.Compact(s.usedDefaults), ", ")
	}
	if id, isID := arg.(*ast.Ident); isID {
		via, name = "const", id.Name
		s.consts[id.Name].used = true
	}
	s.markUsed(arg)
	img, err := newImageRef(s.position(pos), "go", via, name, v)
	if err != nil {
		s.unresolved = append(s.unresolved, Unresolved{Pos: s.position(arg.Pos()), Origin: "go",
			Expr: s.text(arg), Reason: "not a valid image reference: " + err.Error()})
		return
	}
	if via == "const" {
		// The constant's literal, where pin writes the digest.
		if lit := s.position(s.consts[name].pos); s.literalHolds(s.consts[name].pos, v) {
			img.Literal = &lit
		}
	}
	s.images = append(s.images, img)
}

// why explains an unresolvable argument.
func (s *goScan) why(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.CallExpr:
		return "built at run time by " + s.text(e.Fun)
	case *ast.BinaryExpr:
		return "concatenation with a value that is not a constant of this file"
	case *ast.Ident:
		if c := s.consts[e.Name]; c != nil && c.defs > 1 {
			return "variable " + e.Name + " is assigned more than once"
		}
		return e.Name + " is not a string constant of this file (a parameter, field or value from another file)"
	case *ast.SelectorExpr:
		return s.text(e) + " is defined outside this file or at run time"
	case *ast.BasicLit:
		return "not a string literal"
	}
	return "not a string literal or constant"
}

// possible reports a variable that is assigned a constant on every branch
// (switch or if arms, a default then overrides) as one image per possible
// value, at the use. It returns false when any assignment is not a
// constant of this file, or the variable is a parameter.
func (s *goScan) possible(arg ast.Expr) bool {
	id, ok := arg.(*ast.Ident)
	if !ok {
		return false
	}
	c := s.consts[id.Name]
	if c == nil || c.opaque || c.defs < 2 || len(c.vals) < 2 {
		return false
	}
	var vals []string
	for _, v := range c.vals {
		val, ok := s.eval(v)
		if !ok || !LooksLikeImage(val) {
			return false
		}
		if !slices.Contains(vals, val) {
			vals = append(vals, val)
		}
	}
	for _, v := range vals {
		img, err := newImageRef(s.position(arg.Pos()), "go", "possible", id.Name, v)
		if err != nil {
			return false
		}
		s.images = append(s.images, img)
	}
	c.used = true
	return true
}
