package inventory

// maxTemplateDepth bounds template literal nesting.
const maxTemplateDepth = 256

// Keywords after which a "/" starts a regular expression literal.
var regexAfter = map[string]bool{"return": true, "typeof": true, "case": true, "do": true, "else": true,
	"in": true, "of": true, "new": true, "delete": true, "void": true, "throw": true, "instanceof": true,
	"yield": true, "await": true}

// lexTS tokenizes TypeScript: line and block comments, '...' and "..."
// strings, template literals with nested ${...} expressions, and regular
// expression literals (told apart from division by the previous token).
func lexTS(file string, data []byte) (*lexer, *ParseError) {
	l := newLexer(file, data)
	l.tsTokens(false)
	if l.err != nil {
		return nil, l.err
	}
	return l, nil
}

// tsTokens scans until the end of input or, inside a template
// substitution, until the "}" that closes it.
func (l *lexer) tsTokens(inSubst bool) {
	depth := 0
	for l.i < len(l.data) && l.err == nil {
		c := l.data[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
			l.i++
		case c == '/' && l.i+1 < len(l.data) && l.data[l.i+1] == '/':
			for l.i < len(l.data) && l.data[l.i] != '\n' {
				l.i++
			}
		case c == '/' && l.i+1 < len(l.data) && l.data[l.i+1] == '*':
			start := l.i
			l.i += 2
			for l.i+1 < len(l.data) && !(l.data[l.i] == '*' && l.data[l.i+1] == '/') {
				l.i++
			}
			if l.i+1 >= len(l.data) {
				l.fail(start, "unterminated block comment")
				return
			}
			l.i += 2
		case c == '"' || c == '\'':
			l.tsString()
		case c == '`':
			l.template()
		case c == '/' && l.regexAllowed():
			l.regex()
		case isNameStart(c):
			l.name()
		case c >= '0' && c <= '9':
			l.number()
		default:
			switch c {
			case '{':
				depth++
			case '}':
				if inSubst && depth == 0 {
					l.i++
					return
				}
				depth--
			}
			l.op()
		}
	}
	if inSubst && l.err == nil {
		l.fail(len(l.data)-1, "unterminated template literal substitution")
	}
}

func (l *lexer) regexAllowed() bool {
	if len(l.toks) == 0 {
		return true
	}
	t := l.toks[len(l.toks)-1]
	switch t.kind {
	case tName:
		return regexAfter[t.text]
	case tOp:
		return t.text != ")" && t.text != "]" && t.text != "}"
	}
	return false
}

func (l *lexer) regex() {
	start := l.i
	l.i++
	class := false
	for l.i < len(l.data) {
		c := l.data[l.i]
		switch {
		case c == '\\':
			l.i += 2
			continue
		case c == '\n':
			// Not a regular expression after all: treat "/" as division.
			l.i = start
			l.op()
			return
		case c == '[':
			class = true
		case c == ']':
			class = false
		case c == '/' && !class:
			l.i++
			for l.i < len(l.data) && isNameChar(l.data[l.i]) {
				l.i++
			}
			l.toks = append(l.toks, tok{kind: tNumber, off: start}) // an opaque value
			return
		}
		l.i++
	}
	l.i = start
	l.op()
}

func (l *lexer) tsString() {
	start := l.i
	quote := l.data[l.i]
	l.i++
	for l.i < len(l.data) {
		c := l.data[l.i]
		switch {
		case c == '\\':
			l.i += 2
			continue
		case c == '\n':
			l.fail(start, "unterminated string literal")
			return
		case c == quote:
			l.i++
			t := tok{kind: tString, off: start}
			if v, ok := unescape(l.data[start+1 : l.i-1]); ok {
				t.val = v
			} else {
				t.kind, t.text = tTemplate, string(l.data[start:l.i])
			}
			l.toks = append(l.toks, t)
			return
		}
		l.i++
	}
	l.fail(start, "unterminated string literal")
}

// template scans a template literal; one without substitutions is a
// plain string.
func (l *lexer) template() {
	start := l.i
	l.i++
	subst := false
	for l.i < len(l.data) && l.err == nil {
		c := l.data[l.i]
		switch {
		case c == '\\':
			l.i += 2
			continue
		case c == '$' && l.i+1 < len(l.data) && l.data[l.i+1] == '{':
			subst = true
			if l.depth++; l.depth > maxTemplateDepth {
				l.fail(start, "template literals nested too deeply")
				return
			}
			l.i += 2
			save := len(l.toks)
			l.tsTokens(true)
			l.toks = l.toks[:save]
			l.depth--
			continue
		case c == '`':
			l.i++
			t := tok{kind: tString, off: start}
			if v, ok := unescape(l.data[start+1 : l.i-1]); ok && !subst {
				t.val = v
			} else {
				t.kind, t.text = tTemplate, string(l.data[start:l.i])
			}
			l.toks = append(l.toks, t)
			return
		}
		l.i++
	}
	l.fail(start, "unterminated template literal")
}
