package inventory

// lexPython tokenizes Python source: comments, all string forms
// (prefixes r/b/u/f, triple quotes, nested f-string expressions),
// implicit line joining inside brackets and backslash continuations.
func lexPython(file string, data []byte) (*lexer, *ParseError) {
	l := newLexer(file, data)
	depth := 0
	lineStart := true
	atCol1 := true
	for l.i < len(l.data) && l.err == nil {
		c := l.data[l.i]
		switch {
		case c == '\n':
			if depth == 0 && !lineStart {
				l.toks = append(l.toks, tok{kind: tNewline, off: l.i})
				lineStart = true
			}
			l.i++
			atCol1 = true
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			l.i++
			atCol1 = false
			continue
		case c == '#':
			for l.i < len(l.data) && l.data[l.i] != '\n' {
				l.i++
			}
			continue
		case c == '\\' && l.i+1 < len(l.data) && (l.data[l.i+1] == '\n' || l.data[l.i+1] == '\r'):
			l.i += 2
			if l.i < len(l.data) && l.data[l.i-1] == '\r' && l.data[l.i] == '\n' {
				l.i++
			}
			continue
		}
		n := len(l.toks)
		switch {
		case c == '"' || c == '\'':
			l.pyString(l.i, l.i, false, false)
		case isNameStart(c):
			if q, raw, f := pyPrefix(l.data[l.i:]); q > 0 {
				l.pyString(l.i, l.i+q, raw, f)
			} else {
				l.name()
			}
		case c >= '0' && c <= '9':
			l.number()
		default:
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			}
			l.op()
		}
		if len(l.toks) > n {
			l.toks[n].first = lineStart && atCol1
			lineStart, atCol1 = false, false
		}
	}
	if l.err != nil {
		return nil, l.err
	}
	return l, nil
}

// pyPrefix returns the offset of the quote after a string prefix (r, b,
// u, f, rb, br, fr, rf in any case), or 0.
func pyPrefix(b []byte) (q int, raw, f bool) {
	for i := 0; i < len(b) && i < 3; i++ {
		switch b[i] {
		case 'r', 'R':
			raw = true
		case 'f', 'F':
			f = true
		case 'b', 'B', 'u', 'U':
		case '"', '\'':
			if i == 0 {
				return 0, false, false
			}
			return i, raw, f
		default:
			return 0, false, false
		}
	}
	return 0, false, false
}

// pyString scans a string literal whose quote starts at q.
func (l *lexer) pyString(start, q int, raw, f bool) {
	quote := l.data[q]
	triple := q+2 < len(l.data) && l.data[q+1] == quote && l.data[q+2] == quote
	l.i = q + 1
	if triple {
		l.i = q + 3
	}
	body := l.i
	braces := 0
	for {
		if l.i >= len(l.data) {
			l.fail(start, "unterminated string literal")
			return
		}
		c := l.data[l.i]
		switch {
		case c == '\\':
			l.i += 2
			continue
		case c == '\n' && !triple && braces == 0:
			l.fail(start, "unterminated string literal")
			return
		case f && c == '{':
			if braces == 0 && l.i+1 < len(l.data) && l.data[l.i+1] == '{' {
				l.i += 2
				continue
			}
			braces++
		case f && c == '}' && braces > 0:
			braces--
		case f && braces > 0 && (c == '"' || c == '\''):
			// A nested string inside an f-string expression (Python 3.12).
			save := len(l.toks)
			l.pyString(l.i, l.i, false, false)
			l.toks = l.toks[:save]
			if l.err != nil {
				return
			}
			continue
		case c == quote && braces == 0:
			end := l.i
			if triple {
				if l.i+2 < len(l.data) && l.data[l.i+1] == quote && l.data[l.i+2] == quote {
					l.i += 3
				} else {
					l.i++
					continue
				}
			} else {
				l.i++
			}
			t := tok{kind: tString, off: start}
			if f {
				t.kind, t.text = tTemplate, string(l.data[start:l.i])
			} else if raw {
				t.val = string(l.data[body:end])
			} else if v, ok := unescape(l.data[body:end]); ok {
				t.val = v
			} else {
				t.kind, t.text = tTemplate, string(l.data[start:l.i])
			}
			l.toks = append(l.toks, t)
			return
		}
		l.i++
	}
}
