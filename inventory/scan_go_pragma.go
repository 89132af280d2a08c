package inventory

import (
	"go/ast"
	"go/token"
	"regexp"
	"strconv"
	"strings"
)

var reDefault = regexp.MustCompile(`\+default=("(?:[^"\\\n]|\\.)*")`)

// goPragma is one +default="..." value: where it is written, and the
// index of its ImageRef when the value looks like an image (-1 otherwise).
type goPragma struct {
	pos   token.Pos
	value string
	image int
}

// pragmas reports +default="..." values that look like images, and keeps
// every value: a parameter or field with a default of any string (a
// version) resolves the concatenations it takes part in.
func (s *goScan) pragmas(c *ast.Comment) {
	if !strings.Contains(c.Text, "+default=") {
		return
	}
	for _, m := range reDefault.FindAllStringSubmatchIndex(c.Text, -1) {
		v, err := strconv.Unquote(c.Text[m[2]:m[3]])
		if err != nil {
			continue
		}
		pg := goPragma{pos: c.Slash + token.Pos(m[2]), value: v, image: -1}
		if LooksLikeImage(v) && !isHostPort(v) {
			if img, err := newImageRef(s.position(pg.pos), "go", "default", "", v); err == nil {
				pg.image = len(s.images)
				s.images = append(s.images, img)
			}
		}
		s.pragmaList = append(s.pragmaList, pg)
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
