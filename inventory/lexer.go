package inventory

// Shared pieces of the Python and TypeScript tokenizers. They only need
// to recognise names, string literals, a few operators and line
// structure; everything else is skipped. Comments and string contents
// never produce tokens.

type tokKind byte

const (
	tName     tokKind = 'n'
	tString   tokKind = 's' // a plain literal; val holds the value
	tTemplate tokKind = 't' // f-string or template literal with substitutions
	tOp       tokKind = 'o'
	tNumber   tokKind = 'd'
	tNewline  tokKind = 'l' // Python logical line end
)

type tok struct {
	kind tokKind
	text string // names, operators, and the raw text of templates
	val  string // decoded value of plain strings
	off  int
	// first is true for the first token of a Python logical line at
	// column 1 (module level).
	first bool
}

type lexer struct {
	file  string
	data  []byte
	li    LineIndex
	i     int
	toks  []tok
	err   *ParseError
	depth int // template literal nesting
	// intern shares the strings of repeated names and operators.
	intern map[string]string
}

func newLexer(file string, data []byte) *lexer {
	return &lexer{file: file, data: data, li: NewLineIndex(data), toks: make([]tok, 0, len(data)/16+8),
		intern: make(map[string]string, 64)}
}

func (l *lexer) str(b []byte) string {
	if s, ok := l.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	l.intern[s] = s
	return s
}

func (l *lexer) fail(off int, msg string) {
	if l.err == nil {
		line, col := l.li.Pos(off)
		l.err = &ParseError{File: l.file, Line: line, Column: col, Msg: msg}
	}
}

func (l *lexer) position(off int) Position {
	line, col := l.li.Pos(off)
	return Position{File: l.file, Line: line, Column: col}
}

func isNameStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isNameChar(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }

func (l *lexer) name() {
	start := l.i
	for l.i < len(l.data) && isNameChar(l.data[l.i]) {
		l.i++
	}
	l.toks = append(l.toks, tok{kind: tName, text: l.str(l.data[start:l.i]), off: start})
}

func (l *lexer) number() {
	start := l.i
	for l.i < len(l.data) && (isNameChar(l.data[l.i]) || l.data[l.i] == '.') {
		l.i++
	}
	l.toks = append(l.toks, tok{kind: tNumber, off: start})
}

// unescape decodes the common backslash escapes; ok is false when the
// literal uses others (the value is then not trusted as an image).
func unescape(raw []byte) (string, bool) {
	hasEsc := false
	for _, c := range raw {
		if c == '\\' {
			hasEsc = true
			break
		}
	}
	if !hasEsc {
		return string(raw), true
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 == len(raw) {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case '\\', '\'', '"', '`', '/':
			out = append(out, raw[i])
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case '\n':
		default:
			return "", false
		}
	}
	return string(out), true
}

// Two-character operators that must not be mistaken for "=".
var ops2 = map[string]bool{"==": true, "!=": true, "<=": true, ">=": true, ":=": true, "=>": true,
	"->": true, "+=": true, "-=": true, "*=": true, "/=": true, "|=": true, "&=": true, "**": true,
	"//": true, "?.": true, "??": true, "&&": true, "||": true, "%=": true, "^=": true}

func (l *lexer) op() {
	start := l.i
	if l.i+1 < len(l.data) && ops2[string(l.data[l.i:l.i+2])] {
		l.i += 2
		if l.i < len(l.data) && l.data[l.i] == '=' && (l.data[start] == '=' || l.data[start] == '!') {
			l.i++ // === and !==
		}
	} else {
		l.i++
	}
	l.toks = append(l.toks, tok{kind: tOp, text: l.str(l.data[start:l.i]), off: start})
}
