package inventory

import (
	"go/ast"
	"go/token"
	"regexp"
	"strconv"
	"strings"
)

var reDefault = regexp.MustCompile(`\+default=("(?:[^"\\\n]|\\.)*")`)

// pragmas reports +default="..." values that look like images.
func (s *goScan) pragmas(c *ast.Comment) {
	if !strings.Contains(c.Text, "+default=") {
		return
	}
	for _, m := range reDefault.FindAllStringSubmatchIndex(c.Text, -1) {
		v, err := strconv.Unquote(c.Text[m[2]:m[3]])
		if err != nil || !LooksLikeImage(v) || isHostPort(v) {
			continue
		}
		img, err := newImageRef(s.position(c.Slash+token.Pos(m[2])), "go", "default", "", v)
		if err == nil {
			s.pragmaAt = append(s.pragmaAt, len(s.images))
			s.images = append(s.images, img)
		}
	}
}

// literalHolds reports whether the string literal at p is exactly v.
func (s *goScan) literalHolds(p token.Pos, v string) bool {
	off := s.fset.Position(p).Offset
	if off < 0 || off >= len(s.data) || (s.data[off] != '"' && s.data[off] != '`') {
		return false
	}
	end := off + 1 + len(v)
	return end < len(s.data) && string(s.data[off+1:end]) == v && s.data[end] == s.data[off]
}
