package pin

import (
	"path/filepath"
	"regexp"
	"strings"
)

// lang describes the lexical rules of one module source language, enough
// to find string literals outside comments.
type lang struct {
	line   string   // line comment
	quotes string   // string delimiters
	raw    byte     // raw string delimiter (Go `), 0 if none
	triple bool     // Python triple quotes
	tmpl   byte     // template literal delimiter (TS `), 0 if none
	ext    []string // file extensions
}

var langs = map[string]lang{
	"go":         {line: "//", quotes: `"'`, raw: '`', ext: []string{".go"}},
	"python":     {line: "#", quotes: `"'`, triple: true, ext: []string{".py"}},
	"typescript": {line: "//", quotes: `"'`, tmpl: '`', ext: []string{".ts", ".mts"}},
}

// sourceLang returns the language of a module source file, "" for others.
func sourceLang(path string) string {
	ext := filepath.Ext(path)
	for name, l := range langs {
		for _, e := range l.ext {
			if ext == e && !strings.HasSuffix(path, ".d.ts") && !strings.HasSuffix(path, "_test.go") {
				return name
			}
		}
	}
	return ""
}

// Contexts in which a string literal is an image reference:
//   - the argument of a From call: .From("x"), .from_("x"), .from_(address="x"), .from("x");
//   - the value assigned to a name containing "image" (goImage := "x",
//     const BASE_IMAGE = "x", image: str = "x", baseImage: string = "x");
//   - a Python annotated parameter default (x: Annotated[str, ...] = "x"),
//     when the value has an explicit tag.
var (
	fromCtx     = regexp.MustCompile(`\.\s*(?:From|from_|from)\s*\(\s*(?:address\s*=\s*)?$`)
	nameCtx     = regexp.MustCompile(`(?i)\b\w*image\w*(?:\s*:\s*[\w.\[\]]+|\s+[\w.]+)?\s*:?=\s*$`)
	annotateCtx = regexp.MustCompile(`Annotated\[.*\]\s*=\s*$`)
)

// collectSource finds image references in string literals of module
// source. Literals with escapes, f-strings and template literals with
// substitutions are dynamic and skipped (the gate reports them).
func collectSource(f *file, language string) {
	l := langs[language]
	d := f.data
	stmt := 0 // start of the code that precedes the current literal
	for i := 0; i < len(d); {
		c := d[i]
		switch {
		case strings.HasPrefix(string(d[i:min(i+len(l.line), len(d))]), l.line):
			for i < len(d) && d[i] != '\n' {
				i++
			}
			stmt = i
		case language != "python" && c == '/' && i+1 < len(d) && d[i+1] == '*':
			end := strings.Index(string(d[i+2:]), "*/")
			if end < 0 {
				return
			}
			i += 2 + end + 2
			stmt = i
		case l.triple && i+2 < len(d) && (c == '"' || c == '\'') && d[i+1] == c && d[i+2] == c:
			end := strings.Index(string(d[i+3:]), string(d[i:i+3]))
			if end < 0 {
				return
			}
			i += 3 + end + 3
			stmt = i
		case strings.IndexByte(l.quotes, c) >= 0 || (l.raw != 0 && c == l.raw) || (l.tmpl != 0 && c == l.tmpl):
			start := i + 1
			j := start
			escaped := false
			for j < len(d) && d[j] != c {
				if d[j] == '\\' && c != l.raw {
					escaped = true
					j++
				}
				if d[j] == '\n' && c != l.raw && c != l.tmpl {
					break
				}
				j++
			}
			if j >= len(d) {
				return
			}
			text := string(d[start:j])
			dynamic := escaped || (c == l.tmpl && strings.Contains(text, "${")) || (language == "python" && fPrefixed(d, i))
			ctx := string(d[max(stmt, i-120):i])
			if !dynamic && !(language == "go" && c == '\'') {
				considerLiteral(f, start, text, ctx)
			}
			i = j + 1
		default:
			if c == ';' || c == '{' || c == '}' {
				stmt = i + 1
			}
			i++
		}
	}
}

func fPrefixed(d []byte, quote int) bool {
	for k := quote - 1; k >= 0 && k >= quote-3; k-- {
		switch d[k] {
		case 'f', 'F':
			return true
		case 'r', 'R', 'b', 'B', 'u', 'U':
			continue
		}
		return false
	}
	return false
}

func considerLiteral(f *file, off int, text, ctx string) {
	// Only the current line matters for assignments; calls may wrap.
	lineCtx := ctx
	if k := strings.LastIndexByte(ctx, '\n'); k >= 0 {
		lineCtx = ctx[k+1:]
	}
	switch {
	case fromCtx.MatchString(ctx):
	case nameCtx.MatchString(lineCtx) || annotateCtx.MatchString(lineCtx):
		if !hasTag(strings.SplitN(text, "@", 2)[0]) && !strings.Contains(text, "@") {
			return
		}
	default:
		return
	}
	addImageText(f, off, text)
}
