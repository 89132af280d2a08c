package inventory

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"slices"
	"strings"
)

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
	file       string
	fset       *token.FileSet
	data       []byte
	consts     map[string]*goConst
	order      []string
	pragmaList []goPragma // every +default pragma, in file order
	// fields whose +default pragma names an image, and function bodies
	// whose parameters have one; From on them is resolved by that default.
	fieldDefault map[string]bool
	// fieldValue are the +default values of fields (any string, by name
	// and lower-cased name), for concatenations that use them.
	fieldValue map[string]goDefault
	// withDefaults lets eval use parameter and field defaults (only for
	// the argument of From); usedDefaults collects the ones it used.
	withDefaults bool
	usedDefaults []string
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
