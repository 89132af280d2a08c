package inventory

import "sort"

// srcIndex is what the possible-value and default lookups of one Python or
// TypeScript file need, computed once in a pass over its tokens, so that a
// large file with many uses stays linear (a hostile repository could
// otherwise make the gate quadratic).
type srcIndex struct {
	names map[string][]int // token indexes of each name, ascending
	decls map[string][]int // names right after let/var/const (TypeScript)
	open  []int            // per token: the innermost bracket holding it (-1)
	after []int            // per open bracket: the index after its closing one (len(toks) when unclosed)
	def   []int            // per token: the nearest "def" before it (-1)
}

// maxChain bounds the walks up enclosing brackets: deeper nesting is
// treated as not understood (the use stays unresolved).
const maxChain = 64

func (s *srcScan) index1() *srcIndex {
	if s.ix != nil {
		return s.ix
	}
	n := len(s.toks)
	ix := &srcIndex{names: map[string][]int{}, decls: map[string][]int{}, open: make([]int, n), after: make([]int, n), def: make([]int, n)}
	var stack []int
	def := -1
	for i, t := range s.toks {
		ix.def[i] = def
		ix.open[i] = -1
		if len(stack) > 0 {
			ix.open[i] = stack[len(stack)-1]
		}
		ix.after[i] = n
		switch {
		case t.kind == tName:
			ix.names[t.text] = append(ix.names[t.text], i)
			if i > 0 && isDeclKeyword(s.toks[i-1]) {
				ix.decls[t.text] = append(ix.decls[t.text], i)
			}
			if t.text == "def" {
				def = i
			}
		case isOp(t, "(") || isOp(t, "[") || isOp(t, "{"):
			stack = append(stack, i)
		case isOp(t, ")") || isOp(t, "]") || isOp(t, "}"):
			if len(stack) > 0 {
				ix.after[stack[len(stack)-1]] = i + 1
				stack = stack[:len(stack)-1]
			}
		}
	}
	s.ix = ix
	return ix
}

// occurrences returns the token indexes of name in [from, to).
func (ix *srcIndex) occurrences(name string, from, to int) []int {
	all := ix.names[name]
	a := sort.SearchInts(all, from)
	b := sort.SearchInts(all, to)
	if a >= b {
		return nil
	}
	return all[a:b]
}

// possKey is one variable of one scope: the function (Python: its def)
// or the declaration (TypeScript).
type possKey struct {
	scope int
	name  string
}

// possResult is what a variable's assignments in its scope allow.
type possResult struct {
	vals   []string
	n, lit int
	single bool
}
