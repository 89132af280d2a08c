package inventory

import (
	"go/ast"
	"go/token"
	"path"
	"slices"
	"strconv"
	"strings"
)

// goPart is one piece of a From argument that the file alone cannot
// resolve: a string literal, or the name of a constant the file does not
// define (it may be defined in another file of the package).
type goPart struct {
	lit   string
	ident string
}

// goDeferred is a From argument waiting for the package's constants.
type goDeferred struct {
	un    Unresolved
	parts []goPart
}

// goPkgConst is a package-level string constant (or variable) of one file.
type goPkgConst struct {
	value string
	pos   Position
}

// goFileInfo is what a Go file contributes to package-wide resolution.
type goFileInfo struct {
	pkg      string
	consts   map[string]goPkgConst
	deferred []goDeferred
}

// packageInfo collects the file's package-level string constants and the
// From arguments built only from literals and names the file does not
// define.
func (s *goScan) packageInfo(f *ast.File) *goFileInfo {
	info := &goFileInfo{pkg: f.Name.Name, consts: map[string]goPkgConst{}}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST && gd.Tok != token.VAR {
			continue
		}
		for _, sp := range gd.Specs {
			vs, ok := sp.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for _, id := range vs.Names {
				if c := s.consts[id.Name]; c != nil && c.ok && c.defs == 1 {
					info.consts[id.Name] = goPkgConst{value: c.value, pos: s.position(c.pos)}
				}
			}
		}
	}
	return info
}

// deferFrom records an unresolved From argument that other files of the
// package may resolve: only literals, + and names this file never defines.
func (s *goScan) deferFrom(arg ast.Expr, un Unresolved) bool {
	var parts []goPart
	var walk func(e ast.Expr) bool
	walk = func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.BasicLit:
			v, err := strconv.Unquote(e.Value)
			if e.Kind != token.STRING || err != nil {
				return false
			}
			parts = append(parts, goPart{lit: v})
			return true
		case *ast.ParenExpr:
			return walk(e.X)
		case *ast.Ident:
			if c := s.consts[e.Name]; c != nil {
				if !c.ok || c.defs != 1 {
					return false // defined here (a parameter, a reassigned variable)
				}
				parts = append(parts, goPart{lit: c.value})
				return true
			}
			parts = append(parts, goPart{ident: e.Name})
			return true
		case *ast.BinaryExpr:
			return e.Op == token.ADD && walk(e.X) && walk(e.Y)
		}
		return false
	}
	if !walk(arg) || !slices.ContainsFunc(parts, func(p goPart) bool { return p.ident != "" }) {
		return false
	}
	s.deferredFrom = append(s.deferredFrom, goDeferred{un: un, parts: parts})
	return true
}

// resolveGoPackages resolves deferred From arguments against the
// package-level constants of the other Go files of the same directory and
// package: a resolved one becomes an ImageRef at the use (Name lists the
// constants it came from), an unresolved one stays Unresolved. A name
// defined in more than one file is ambiguous.
//
// used holds the positions of the constants so used: their own
// "image-named constant" entries are dropped (reported at the use).
func resolveGoPackages(files map[string]*goFileInfo) (images []ImageRef, unresolved []Unresolved, used map[Position]bool) {
	used = map[Position]bool{}
	type key struct{ dir, pkg string }
	consts := map[key]map[string]goPkgConst{}
	dup := map[key]map[string]bool{}
	for file, info := range files {
		k := key{path.Dir(file), info.pkg}
		if consts[k] == nil {
			consts[k], dup[k] = map[string]goPkgConst{}, map[string]bool{}
		}
		for n, c := range info.consts {
			if _, seen := consts[k][n]; seen {
				dup[k][n] = true
			}
			consts[k][n] = c
		}
	}
	names := mapKeys(files)
	slices.Sort(names)
	for _, file := range names {
		info := files[file]
		k := key{path.Dir(file), info.pkg}
		for _, d := range info.deferred {
			var b strings.Builder
			var names []string
			var at []Position
			ok := true
			for _, p := range d.parts {
				if p.ident == "" {
					b.WriteString(p.lit)
					continue
				}
				c, found := consts[k][p.ident]
				if !found || dup[k][p.ident] {
					ok = false
					break
				}
				b.WriteString(c.value)
				names = append(names, p.ident+" ("+c.pos.File+":"+strconv.Itoa(c.pos.Line)+")")
				at = append(at, c.pos)
			}
			if ok {
				img, err := newImageRef(d.un.Pos, "go", "const", strings.Join(names, " + "), b.String())
				if err == nil {
					if len(d.parts) == 1 {
						lit := at[0]
						img.Literal = &lit // pin checks that the literal is there
					}
					for _, p := range at {
						used[p] = true
					}
					images = append(images, img)
					continue
				}
			}
			unresolved = append(unresolved, d.un)
		}
	}
	return images, unresolved, used
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
