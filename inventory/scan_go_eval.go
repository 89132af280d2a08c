package inventory

import (
	"go/ast"
	"go/token"
	"strconv"
	"strings"
)

// eval evaluates string literals, same-file constants and + of those
// (and fmt.Sprintf of them); in a From argument also the +default values
// of parameters and fields (withDefaults).
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
		return s.defaultOf(e)
	case *ast.SelectorExpr:
		return s.defaultOf(e)
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
