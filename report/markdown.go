package report

import (
	"strings"
	"unicode"
)

// Markdown escaping. Everything a report shows comes from run records, that
// is from the repository under test and whoever wrote it; in the Markdown
// report no such text may become markup: not raw HTML, not a link or an
// image, not emphasis, not a new table cell, row, list item or heading.
// Every interpolation of the Markdown template goes through md (text),
// code (a code span) or codecell (a code span in a table cell).

// mdPunct are the ASCII punctuation characters that can open or close an
// inline construct or a cell in CommonMark / GFM; each is backslash-escaped.
const mdPunct = "\\`*_[]<>|!~"

// md escapes s as Markdown inline text, safe in a table cell and in a list
// item: line breaks and other control characters become spaces, '&' is
// written as an entity (so no entity or raw HTML survives), inline markup
// characters are backslash-escaped, and a block marker at the start
// (#, -, +, =, "1. " …) is escaped too.
func md(s string) string {
	s = oneLine(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
			continue
		case strings.ContainsRune(mdPunct, r):
			b.WriteByte('\\')
		case i == 0 && strings.ContainsRune("#-+=>", r):
			b.WriteByte('\\')
		case (r == '.' || r == ')') && i > 0 && allDigits(s[:i]) && (i+1 == len(s) || s[i+1] == ' '):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// code writes s as a code span: inside one, nothing is markup, so the only
// escaping is a fence longer than any run of backticks in s.
func code(s string) string {
	s = oneLine(s)
	if s == "" {
		return "` `"
	}
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if s[0] == '`' || s[len(s)-1] == '`' || s[0] == ' ' && s[len(s)-1] == ' ' {
		s = " " + s + " "
	}
	return fence + s + fence
}

// codecell is code for a GFM table cell, where a pipe ends the cell even in
// a code span unless it is escaped.
func codecell(s string) string { return strings.ReplaceAll(code(s), "|", `\|`) }

// oneLine replaces line breaks and other control or format characters
// (including U+2028/U+2029 and bidi overrides) by spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
