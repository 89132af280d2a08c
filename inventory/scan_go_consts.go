package inventory

import (
	"go/ast"
	"go/token"
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
