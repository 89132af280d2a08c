package inventory

import (
	"slices"
)

// ScanPython finds container image references in Python module source:
// .from_("...") calls (positional or address=...), their arguments
// resolved through module-level UPPER_CASE constants, Annotated[...] =
// "..." parameter defaults, field(default="...") and ": str = ..." defaults
// that look like images, and image-looking module constants whose name
// mentions an image. f-strings and other expressions are Unresolved.
// An unterminated string is a *ParseError.
func ScanPython(file string, data []byte) ([]ImageRef, []Unresolved, error) {
	imgs, un, info, err := scanPython(file, data)
	if info != nil {
		for _, d := range info.deferred {
			un = append(un, d.un)
		}
		slices.SortStableFunc(un, func(a, b Unresolved) int { return cmpPos(a.Pos, b.Pos) })
	}
	return imgs, un, err
}

func scanPython(file string, data []byte) ([]ImageRef, []Unresolved, *srcFileInfo, error) {
	l, perr := lexPython(file, data)
	if perr != nil {
		return nil, nil, nil, perr
	}
	toks := l.toks
	s := &srcScan{origin: "python", l: l, toks: toks, consts: map[string]*srcConst{},
		defaults: map[string]bool{}}
	// Module-level constants: NAME [: type] = "..." at column 1.
	for i, t := range toks {
		if !t.first || t.kind != tName || !isUpperName(t.text) {
			continue
		}
		j := i + 1
		if j < len(toks) && toks[j].kind == tOp && toks[j].text == ":" {
			for j < len(toks) && !(toks[j].kind == tOp && toks[j].text == "=") && toks[j].kind != tNewline {
				j++
			}
		}
		if j+1 >= len(toks) || toks[j].kind != tOp || toks[j].text != "=" {
			continue
		}
		v, k, ok := s.strings(j + 1)
		end := k >= len(toks) || toks[k].kind == tNewline
		s.define(t.text, toks[j+1].off, v, ok && end)
	}
	s.paramDefaults()
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tName && t.text == "from_" && i > 0 && isOp(toks[i-1], ".") && i+1 < len(toks) && isOp(toks[i+1], "("):
			s.call(i+1, "address")
		case t.kind == tName && t.text == "Annotated" && i+1 < len(toks) && isOp(toks[i+1], "["):
			if k := s.closing(i + 1); k+1 < len(toks) && isOp(toks[k], "=") {
				s.defaultAt(k+1, "annotated")
			}
		case t.kind == tName && t.text == "default" && i+1 < len(toks) && isOp(toks[i+1], "="):
			s.defaultAt(i+2, "default")
		case t.kind == tName && t.text == "str" && i > 1 && isOp(toks[i-1], ":") && !toks[i-2].first &&
			i+1 < len(toks) && isOp(toks[i+1], "="):
			s.defaultAt(i+2, "param")
		}
	}
	s.unusedConsts()
	return s.images, s.unresolved, s.fileInfo(), nil
}

// paramDefaults reads the string defaults of function parameters that the
// loop of scanPython does not (": str =" and "Annotated[...] =" are read
// there, for fields too): untyped (version="16") and other annotations
// (Optional[str], str | None).
func (s *srcScan) paramDefaults() {
	toks := s.toks
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].kind != tName || toks[i].text != "def" || toks[i+1].kind != tName || !isOp(toks[i+2], "(") {
			continue
		}
		end := s.closing(i+2) - 1
		start, depth := i+3, 0
		for k := i + 3; k <= end; k++ {
			t := toks[k]
			if t.kind == tOp {
				switch t.text {
				case "(", "[", "{":
					depth++
					continue
				case ")", "]", "}":
					if k < end {
						depth--
						continue
					}
				case ",":
					if depth > 0 {
						continue
					}
				default:
					continue
				}
				s.paramDefault1(start, k)
				start = k + 1
			}
		}
	}
}

// paramDefault1 reads the default of the parameter toks[a:b].
func (s *srcScan) paramDefault1(a, b int) {
	if a >= b || s.toks[a].kind != tName {
		return
	}
	eq := -1
	depth := 0
	for k := a + 1; k < b && eq < 0; k++ {
		switch t := s.toks[k]; {
		case isOp(t, "(") || isOp(t, "[") || isOp(t, "{"):
			depth++
		case isOp(t, ")") || isOp(t, "]") || isOp(t, "}"):
			depth--
		case isOp(t, "=") && depth == 0:
			eq = k
		}
	}
	if eq < 0 || eq+1 >= b {
		return
	}
	if eq > a+1 { // annotated
		if !isOp(s.toks[a+1], ":") || s.toks[a+2].text == "Annotated" || eq == a+3 && s.toks[a+2].text == "str" {
			return // read by scanPython's loop
		}
	}
	s.defaultNamed(eq+1, "param", s.toks[a].text)
}

func isUpperName(n string) bool {
	letter := false
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c >= 'A' && c <= 'Z':
			letter = true
		case c == '_' || c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letter
}
