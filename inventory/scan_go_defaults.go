package inventory

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"
)

// defaults finds the parameters and struct fields that a +default
// pragma precedes: those with an image default (From on them is reported
// at the pragma), and the default of every one, which concatenations and
// fmt.Sprintf in a From argument resolve.
func (s *goScan) defaults() {
	s.fieldDefault = map[string]bool{}
	s.fieldValue = map[string]goDefault{}
	if len(s.pragmaList) == 0 {
		return
	}
	// pragmaIn names the fields of list whose preceding comments hold a
	// pragma: image ones in images (and the ImageRef name), every value
	// in values.
	pragmaIn := func(list *ast.FieldList, images map[string]bool, values map[string]goDefault) {
		if list == nil {
			return
		}
		prev := list.Opening
		for _, fld := range list.List {
			for _, pg := range s.pragmaList {
				if pg.pos > prev && pg.pos < fld.Pos() {
					for _, id := range fld.Names {
						values[id.Name] = goDefault{value: pg.value, pos: s.position(pg.pos)}
						if pg.image < 0 {
							continue
						}
						images[id.Name] = true
						if img := &s.images[pg.image]; img.Name == "" {
							img.Name = id.Name
						}
					}
				}
			}
			prev = fld.End()
		}
	}
	for _, st := range s.structs {
		vals := map[string]goDefault{}
		pragmaIn(st.Fields, s.fieldDefault, vals)
		for n, v := range vals {
			s.fieldValue[n] = v
		}
	}
	// A From on a parameter inside the body of a function whose pragma
	// gives that parameter an image default uses the default.
	for _, fn := range s.funcs {
		m, vals := map[string]bool{}, map[string]goDefault{}
		pragmaIn(fn.typ.Params, m, vals)
		if len(vals) > 0 && fn.body != nil {
			s.scopes = append(s.scopes, scope{fn.body.Pos(), fn.body.End(), m, vals})
		}
		// Constructors store defaulted parameters in fields of the same
		// name (func New(image string) *M { return &M{Image: image} }).
		for n := range m {
			s.fieldDefault[strings.ToLower(n)] = true
		}
		for n, v := range vals {
			if _, set := s.fieldValue[strings.ToLower(n)]; !set {
				s.fieldValue[strings.ToLower(n)] = v
			}
		}
	}
}

// goDefault is the +default value of a parameter or field.
type goDefault struct {
	value string
	pos   Position
}

// defaultOf is the +default value of an identifier (a parameter of the
// enclosing function) or selector (a field), when eval may use defaults.
func (s *goScan) defaultOf(e ast.Expr) (string, bool) {
	if !s.withDefaults {
		return "", false
	}
	var d goDefault
	var ok bool
	var name string
	switch e := e.(type) {
	case *ast.Ident:
		name = e.Name
		for _, sc := range s.scopes {
			if e.Pos() >= sc.from && e.Pos() < sc.to {
				if v, has := sc.values[e.Name]; has {
					d, ok = v, true
				}
			}
		}
	case *ast.SelectorExpr:
		name = e.Sel.Name
		if d, ok = s.fieldValue[e.Sel.Name]; !ok {
			d, ok = s.fieldValue[strings.ToLower(e.Sel.Name)]
		}
	}
	if !ok {
		return "", false
	}
	s.usedDefaults = append(s.usedDefaults, fmt.Sprintf("%s (default at %s:%d)", name, d.pos.File, d.pos.Line))
	return d.value, true
}

type funcNode struct {
	typ  *ast.FuncType
	body *ast.BlockStmt
}

type scope struct {
	from, to token.Pos
	names    map[string]bool      // parameters with an image default
	values   map[string]goDefault // every +default of a parameter
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
