package report

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	"sync"
	"text/template"
	"time"
)

// Formats are the output formats Render accepts.
var Formats = []string{"html", "md", "json"}

//go:embed templates
var templates embed.FS

// Render writes rep in format ("html", "md" or "json").
func Render(w io.Writer, rep *Report, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	case "md":
		return mdTemplate().Execute(w, rep)
	case "html":
		return renderHTML(w, rep)
	}
	return fmt.Errorf("unknown format %q, valid formats are %q", format, Formats)
}

var funcs = map[string]any{
	"ts":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"dur":   fmtDuration,
	"short": func(s string) string { return shortHex(s, 12) },
	"pct":   func(f float64) string { return fmt.Sprintf("%.1f %%", f*100) },
	"passRate": func(s Summary) string {
		if s.PolicyDecided == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f %%", s.PolicyPassRate*100)
	},
	"join":         strings.Join,
	"lower":        strings.ToLower,
	"md":           md,
	"code":         code,
	"codecell":     codecell,
	"add":          func(a, b int) int { return a + b },
	"slug":         func(s string) string { return strings.Map(slugRune, s) },
	"verdictClass": func(v string) string { return "v-" + strings.ReplaceAll(v, " ", "-") },
	"statusClass":  func(v string) string { return "s-" + strings.ReplaceAll(v, " ", "-") },
	"expiry":       expiryText,
	"slsaClass":    func(v string) string { return "l-" + strings.ReplaceAll(v, " ", "-") },
	"permille":     permille,
	"permilleMin":  func(a, total int64) int64 { return max(permille(a, total), 4) },
	"sign":         func(b bool) string { return map[bool]string{true: "yes", false: "no"}[b] },
	"counts":       countsText,
}

// countsText is "key n, key n" or "none".
func countsText(cs []Count) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", c.Key, c.Count)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// The templates are parsed on first use, not at package init: every
// pinline command links this package, few render a report.
var mdTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report.md.tmpl").Funcs(funcs).ParseFS(templates, "templates/report.md.tmpl"))
})

// htmlPage is the HTML template with its inline style and script and the
// Content-Security-Policy that admits exactly those two (by hash).
type htmlPage struct {
	tmpl   *htmltemplate.Template
	css    htmltemplate.CSS
	script htmltemplate.JS
	csp    string
}

var htmlTemplate = sync.OnceValues(func() (*htmlPage, error) {
	css, err := templates.ReadFile("templates/report.css")
	if err != nil {
		return nil, err
	}
	js, err := templates.ReadFile("templates/sort.js")
	if err != nil {
		return nil, err
	}
	t := htmltemplate.Must(htmltemplate.New("report.html.tmpl").Funcs(funcs).ParseFS(templates, "templates/report.html.tmpl"))
	return &htmlPage{tmpl: t, css: htmltemplate.CSS(css), script: htmltemplate.JS(js),
		csp: "default-src 'none'; style-src '" + cspHash(css) + "'; script-src '" + cspHash(js) + "'; img-src data:; form-action 'none'; base-uri 'none'"}, nil
})

func renderHTML(w io.Writer, rep *Report) error {
	page, err := htmlTemplate()
	if err != nil {
		return err
	}
	// The hashes of the style and script elements go into the
	// Content-Security-Policy: the page can run and load nothing else.
	data := struct {
		*Report
		CSS    htmltemplate.CSS
		Script htmltemplate.JS
		CSP    string
	}{rep, page.css, page.script, page.csp}
	var buf bytes.Buffer
	if err := page.tmpl.Execute(&buf, data); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func fmtDuration(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", ms)
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

func shortHex(s string, n int) string {
	p, h, ok := strings.Cut(s, ":")
	if !ok {
		h, p = s, ""
	}
	if len(h) > n {
		h = h[:n]
	}
	if p != "" && ok {
		return p + ":" + h
	}
	return h
}

func slugRune(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
		return r
	}
	return '-'
}

func expiryText(w WaiverUse) string {
	switch {
	case w.ExpiresInDays == nil && w.Expires == "":
		return "no expiry"
	case w.ExpiresInDays == nil:
		return w.Expires + " (unparsed)"
	case w.Expired:
		return fmt.Sprintf("%s (expired %d days ago)", w.Expires, -*w.ExpiresInDays)
	}
	return fmt.Sprintf("%s (in %d days)", w.Expires, *w.ExpiresInDays)
}

// permille is a/total scaled to 0..1000 for the SVG task bars.
func permille(a, total int64) int64 {
	if total <= 0 || a <= 0 {
		return 0
	}
	return min(a*1000/total, 1000)
}

func cspHash(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
