package inventory

import (
	"regexp"
	"strings"
)

// reTemplateName matches a substitution that is a bare name: {NAME} in an
// f-string, ${NAME} in a template literal.
var reTemplateName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// template evaluates an f-string or template literal whose substitutions
// are all constants of this file: f"python:{PY_VERSION}-slim",
// `node:${NODE_VERSION}`. Anything else (expressions, format specs,
// escapes, triple quotes) is not evaluated.
func (s *srcScan) template(raw string) (string, bool) {
	var body string
	var open string
	switch {
	case strings.HasPrefix(raw, "`") && strings.HasSuffix(raw, "`") && len(raw) >= 2:
		body, open = raw[1:len(raw)-1], "${"
	default:
		i := strings.IndexAny(raw, "\"'")
		if i < 0 || i > 2 || !strings.ContainsAny(raw[:i], "fF") || strings.ContainsAny(raw[:i], "rRbB") {
			return "", false
		}
		q := raw[i]
		if len(raw) < i+2 || raw[len(raw)-1] != q || strings.HasPrefix(raw[i:], string([]byte{q, q, q})) {
			return "", false
		}
		body, open = raw[i+1:len(raw)-1], "{"
	}
	if strings.Contains(body, "\\") || strings.Contains(body, "{{") || strings.Contains(body, "}}") && open == "{" {
		return "", false
	}
	var b strings.Builder
	for {
		i := strings.Index(body, open)
		if i < 0 {
			if open == "{" && strings.Contains(body, "}") {
				return "", false
			}
			b.WriteString(body)
			return b.String(), true
		}
		b.WriteString(body[:i])
		rest := body[i+len(open):]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return "", false
		}
		name := strings.TrimSpace(rest[:j])
		c := s.consts[name]
		if !reTemplateName.MatchString(name) || c == nil || !c.ok {
			return "", false
		}
		b.WriteString(c.value)
		body = rest[j+1:]
	}
}

// markTemplateUsed marks the constants a resolved template names as used.
func (s *srcScan) markTemplateUsed(raw string) {
	for n, c := range s.consts {
		if strings.Contains(raw, "{"+n+"}") {
			c.used = true
		}
	}
}
