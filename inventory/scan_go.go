package inventory

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// goConst is a string constant (or single-assignment variable) of a file.
type goConst struct {
	value string
	pos   token.Pos
	defs  int // definitions and assignments; more than one is ambiguous
	ok    bool
	used  bool
	// vals are the values of every definition and assignment; opaque is
	// set when one of them is not an expression (a parameter, a tuple
	// assignment). A variable assigned constants on every branch has the
	// possible values of vals.
	vals   []ast.Expr
	opaque bool
}

// ScanGo finds container image references in Go module source:
// From("...") calls on any value, their arguments resolved through
// same-file constants and variables, and +default="..." pragmas in
// comments whose value looks like an image (has a tag or digest).
// Arguments that cannot be resolved statically are reported as
// Unresolved. A syntax error is a *ParseError.
func ScanGo(file string, data []byte) ([]ImageRef, []Unresolved, error) {
	imgs, un, info, err := scanGo(file, data)
	if info != nil {
		for _, d := range info.deferred {
			un = append(un, d.un)
		}
		slices.SortStableFunc(un, func(a, b Unresolved) int { return cmpPos(a.Pos, b.Pos) })
	}
	return imgs, un, err
}

// scanGo is ScanGo keeping apart what other files of the package may
// resolve (Collect resolves it with resolveGoPackages).
func scanGo(file string, data []byte) ([]ImageRef, []Unresolved, *goFileInfo, error) {
	fset := token.NewFileSet()
	mode := parser.SkipObjectResolution
	if bytes.Contains(data, []byte("+default=")) {
		mode |= parser.ParseComments // only comments with pragmas matter
	}
	f, err := parser.ParseFile(fset, file, data, mode)
	if err != nil {
		var list scanner.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			return nil, nil, nil, &ParseError{File: file, Line: list[0].Pos.Line, Column: list[0].Pos.Column,
				Msg: "invalid Go: " + list[0].Msg}
		}
		return nil, nil, nil, &ParseError{File: file, Msg: "invalid Go: " + err.Error()}
	}
	s := &goScan{file: file, fset: fset, data: data, consts: map[string]*goConst{}}
	s.collectConsts(f)
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			s.pragmas(c)
		}
	}
	s.defaults()
	for _, arg := range s.fromArgs {
		s.from(arg)
	}
	// Image-looking constants not passed to From here (they may be used
	// from another file): those named like an image or holding a digest.
	for _, n := range s.order {
		c := s.consts[n]
		if c.used || !c.ok || c.defs != 1 || !LooksLikeImage(c.value) || isHostPort(c.value) {
			continue
		}
		if imageName(n) || strings.Contains(c.value, "@sha256:") {
			if img, err := newImageRef(s.position(c.pos), "go", "const", n, c.value); err == nil {
				s.images = append(s.images, img)
			}
		}
	}
	info := s.packageInfo(f)
	info.deferred = s.deferredFrom
	return s.images, s.unresolved, info, nil
}

type goScan struct {
	file     string
	fset     *token.FileSet
	data     []byte
	consts   map[string]*goConst
	order    []string
	pragmaAt []int // indexes into images of +default pragmas
	// fields whose +default pragma names an image, and function bodies
	// whose parameters have one; From on them is resolved by that default.
	fieldDefault map[string]bool
	fromArgs     []ast.Expr
	funcs        []funcNode
	structs      []*ast.StructType
	scopes       []scope
	images       []ImageRef
	unresolved   []Unresolved
	deferredFrom []goDeferred // From arguments other files may resolve
}

func (s *goScan) position(p token.Pos) Position {
	pp := s.fset.Position(p)
	return Position{File: s.file, Line: pp.Line, Column: pp.Column}
}

func (s *goScan) text(e ast.Node) string {
	a, b := s.fset.Position(e.Pos()).Offset, s.fset.Position(e.End()).Offset
	if a < 0 || b > len(s.data) || a > b {
		return ""
	}
	return clip(string(s.data[a:b]))
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// collectConsts records string constants and variables defined anywhere
// in the file. Names defined or assigned more than once are ambiguous.
func (s *goScan) collectConsts(f *ast.File) {
	def := func(id *ast.Ident, v ast.Expr) {
		c := s.consts[id.Name]
		if c == nil {
			c = &goConst{}
			s.consts[id.Name] = c
			s.order = append(s.order, id.Name)
		}
		c.defs++
		if v != nil {
			c.pos = v.Pos()
			c.vals = append(c.vals, v)
		}
		c.ok = false
	}
	opaque := func(id *ast.Ident) {
		def(id, nil)
		s.consts[id.Name].opaque = true
	}
	// A function parameter is never a constant, even where the function
	// assigns it a fallback (if version == "" { version = "latest" }):
	// names are resolved file-wide, so a parameter name counts as defined
	// once more.
	params := func(ft *ast.FuncType) {
		for _, fl := range []*ast.FieldList{ft.Params, ft.Results} {
			if fl == nil {
				continue
			}
			for _, f := range fl.List {
				for _, id := range f.Names {
					opaque(id)
				}
			}
		}
	}
	var values []struct {
		id *ast.Ident
		v  ast.Expr
	}
	// One walk collects constants, From arguments, and the functions and
	// structs that +default pragmas may annotate.
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "From" && len(n.Args) == 1 {
				s.fromArgs = append(s.fromArgs, n.Args[0])
			}
		case *ast.FuncDecl:
			s.funcs = append(s.funcs, funcNode{n.Type, n.Body})
			params(n.Type)
		case *ast.FuncLit:
			s.funcs = append(s.funcs, funcNode{n.Type, n.Body})
			params(n.Type)
		case *ast.StructType:
			s.structs = append(s.structs, n)
		case *ast.ValueSpec:
			for i, id := range n.Names {
				var v ast.Expr
				if i < len(n.Values) && len(n.Values) == len(n.Names) {
					v = n.Values[i]
				}
				def(id, v)
				values = append(values, struct {
					id *ast.Ident
					v  ast.Expr
				}{id, v})
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
					var v ast.Expr
					if len(n.Rhs) == len(n.Lhs) && (n.Tok == token.ASSIGN || n.Tok == token.DEFINE) {
						v = n.Rhs[i]
					}
					if v == nil {
						opaque(id)
					} else {
						def(id, v)
					}
					values = append(values, struct {
						id *ast.Ident
						v  ast.Expr
					}{id, v})
				}
			}
		}
		return true
	})
	// Resolve in passes so that constants may refer to later ones.
	for changed := true; changed; {
		changed = false
		for _, e := range values {
			c := s.consts[e.id.Name]
			if c.ok || c.defs != 1 || e.v == nil {
				continue
			}
			if v, ok := s.eval(e.v); ok {
				c.value, c.ok, changed = v, true, true
			}
		}
	}
}

// eval evaluates string literals, same-file constants and + of those.
func (s *goScan) eval(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			v, err := strconv.Unquote(e.Value)
			return v, err == nil
		}
	case *ast.ParenExpr:
		return s.eval(e.X)
	case *ast.Ident:
		if c := s.consts[e.Name]; c != nil && c.ok {
			return c.value, true
		}
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			a, ok1 := s.eval(e.X)
			b, ok2 := s.eval(e.Y)
			return a + b, ok1 && ok2
		}
	case *ast.CallExpr:
		return s.sprintf(e)
	}
	return "", false
}

// sprintf evaluates fmt.Sprintf with a constant format whose verbs are
// only %s and %v verbs (and %%) and constant arguments.
func (s *goScan) sprintf(e *ast.CallExpr) (string, bool) {
	sel, ok := e.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Sprintf" || len(e.Args) == 0 {
		return "", false
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "fmt" {
		return "", false
	}
	format, ok := s.eval(e.Args[0])
	if !ok {
		return "", false
	}
	var b strings.Builder
	args := e.Args[1:]
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			b.WriteByte(format[i])
			continue
		}
		if i+1 >= len(format) {
			return "", false
		}
		i++
		switch format[i] {
		case '%':
			b.WriteByte('%')
		case 's', 'v':
			if len(args) == 0 {
				return "", false
			}
			v, ok := s.eval(args[0])
			if !ok {
				return "", false
			}
			b.WriteString(v)
			args = args[1:]
		default:
			return "", false
		}
	}
	return b.String(), len(args) == 0
}

// markUsed marks the constants an image expression is built from as used,
// so that they are not reported again on their own.
func (s *goScan) markUsed(e ast.Expr) {
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if c := s.consts[id.Name]; c != nil {
				c.used = true
			}
		}
		return true
	})
}

func (s *goScan) from(arg ast.Expr) {
	v, ok := s.eval(arg)
	if !ok && s.hasDefault(arg) {
		return // the +default image is reported where it is written
	}
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
	if name != "" {
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

var reDefault = regexp.MustCompile(`\+default=("(?:[^"\\\n]|\\.)*")`)

// pragmas reports +default="..." values that look like images.
func (s *goScan) pragmas(c *ast.Comment) {
	if !strings.Contains(c.Text, "+default=") {
		return
	}
	for _, m := range reDefault.FindAllStringSubmatchIndex(c.Text, -1) {
		v, err := strconv.Unquote(c.Text[m[2]:m[3]])
		if err != nil || !LooksLikeImage(v) || isHostPort(v) {
			continue
		}
		img, err := newImageRef(s.position(c.Slash+token.Pos(m[2])), "go", "default", "", v)
		if err == nil {
			s.pragmaAt = append(s.pragmaAt, len(s.images))
			s.images = append(s.images, img)
		}
	}
}

// literalHolds reports whether the string literal at p is exactly v.
func (s *goScan) literalHolds(p token.Pos, v string) bool {
	off := s.fset.Position(p).Offset
	if off < 0 || off >= len(s.data) || (s.data[off] != '"' && s.data[off] != '`') {
		return false
	}
	end := off + 1 + len(v)
	return end < len(s.data) && string(s.data[off+1:end]) == v && s.data[end] == s.data[off]
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
