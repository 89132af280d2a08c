package inventory

import (
	"go/ast"
	"go/token"
	"strings"
)

// defaults finds the parameters and struct fields that a +default
// pragma with an image precedes.
func (s *goScan) defaults() {
	s.fieldDefault = map[string]bool{}
	if len(s.pragmaAt) == 0 {
		return
	}
	// pragmaIn names the fields of list whose preceding comments hold an
	// image pragma, and sets the ImageRef name.
	pragmaIn := func(list *ast.FieldList, into map[string]bool) {
		if list == nil {
			return
		}
		prev := list.Opening
		for _, fld := range list.List {
			for _, i := range s.pragmaAt {
				img := &s.images[i]
				off := s.offsetOf(img.Pos)
				if off > s.fset.Position(prev).Offset && off < s.fset.Position(fld.Pos()).Offset {
					for _, id := range fld.Names {
						into[id.Name] = true
						if img.Name == "" {
							img.Name = id.Name
						}
					}
				}
			}
			prev = fld.End()
		}
	}
	for _, st := range s.structs {
		pragmaIn(st.Fields, s.fieldDefault)
	}
	// A From on a parameter inside the body of a function whose pragma
	// gives that parameter an image default uses the default.
	for _, fn := range s.funcs {
		m := map[string]bool{}
		pragmaIn(fn.typ.Params, m)
		if len(m) > 0 && fn.body != nil {
			s.scopes = append(s.scopes, scope{fn.body.Pos(), fn.body.End(), m})
		}
		// Constructors store defaulted parameters in fields of the same
		// name (func New(image string) *M { return &M{Image: image} }).
		for n := range m {
			s.fieldDefault[strings.ToLower(n)] = true
		}
	}
}

type funcNode struct {
	typ  *ast.FuncType
	body *ast.BlockStmt
}

type scope struct {
	from, to token.Pos
	names    map[string]bool
}

func (s *goScan) offsetOf(p Position) int {
	tf := s.fset.File(token.Pos(1))
	if tf == nil || p.Line < 1 || p.Line > tf.LineCount() {
		return -1
	}
	return tf.Offset(tf.LineStart(p.Line)) + p.Column - 1
}

// hasDefault reports whether arg is a parameter or field with an image
// +default pragma.
func (s *goScan) hasDefault(arg ast.Expr) bool {
	switch e := arg.(type) {
	case *ast.Ident:
		for _, sc := range s.scopes {
			if e.Pos() >= sc.from && e.Pos() < sc.to && sc.names[e.Name] {
				return true
			}
		}
	case *ast.SelectorExpr:
		return s.fieldDefault[e.Sel.Name] || s.fieldDefault[strings.ToLower(e.Sel.Name)]
	}
	return false
}
