package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/pinline/pinline/record"
)

// hostile is repository-controlled text trying every Markdown escape: raw
// HTML, a cell and a row break, a heading, a list item, a link, an image,
// emphasis, code, an entity and a Unicode line separator.
const hostile = "x</td><script>alert(1)</script>|injected|\n# Heading\n- item\n1. first\n" +
	"[link](https://evil.test/) ![img](https://evil.test/i.png) `tick`` <img src=x onerror=alert(2)> " +
	"&lt;b&gt; *em* _u_ ~~s~~ \\| \u2028line\r\nend"

func TestMarkdownHelpers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fn       func(string) string
		in, want string
	}{
		{md, "a|b", `a\|b`},
		{md, "a\nb\r\nc\u2028d", "a b  c d"},
		{md, "<b>&amp;</b>", `\<b\>&amp;amp;\</b\>`},
		{md, "# h", `\# h`},
		{md, "- x", `\- x`},
		{md, "12. x", `12\. x`},
		{md, "CycloneDX 1.6", "CycloneDX 1.6"},
		{md, "[a](b) ![c](d)", `\[a\](b) \!\[c\](d)`},
		{md, "*a* _b_ ~c~ `d` \\", "\\*a\\* \\_b\\_ \\~c\\~ \\`d\\` \\\\"},
		{code, "plain", "`plain`"},
		{code, "a`b", "``a`b``"},
		{code, "`x``", "``` `x`` ```"},
		{code, "", "` `"},
		{code, "a\nb", "`a b`"},
		{codecell, "a|b", "`a\\|b`"},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("%q → %q, want %q", tt.in, got, tt.want)
		}
	}
}

// hostileRuns writes one run whose every recorded string is hostile.
func hostileRuns(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	const id = "20261110T090000Z-hostile"
	dir := filepath.Join(root, id)
	start := fixtureBase.Add(8 * 24 * 60 * 60 * 1e9)
	run := &record.Run{
		Schema: record.SchemaVersion, ID: id, Status: record.StatusFailed, Error: hostile, StartedAt: start, FinishedAt: start.Add(3e9),
		Who:  record.Who{User: hostile, Host: hostile, Identity: hostile},
		Tier: "untrusted", BuilderID: hostile, CacheMode: "snapshot",
		Repository: record.Repository{Source: record.Source{URI: hostile, Commit: hostile}},
		Engine:     record.Engine{Endpoint: record.Endpoint{Backend: "dagger", Version: hostile, Gateway: hostile}},
		Tasks: []record.Task{{Name: hostile, Status: record.StatusFailed, ExitCode: 1, StartedAt: start, FinishedAt: start.Add(1e9), DurationMS: 1000,
			Caches: []record.CacheUse{{Name: hostile, Mode: "snapshot"}}}},
		Outputs: []record.Output{{Task: hostile, File: "outputs/" + hostile, SHA256: sha([]byte("out"))}},
		Images:  []record.Image{{Name: hostile, Ref: hostile}},
		Modules: []record.Module{{Name: hostile, Source: hostile}},
	}
	f := record.Finding{RuleID: hostile, Severity: "deny", Message: hostile, Source: hostile, Pos: record.Pos{File: hostile, Line: 1, Column: 2}}
	dec := &record.Decision{Allow: true, Violations: []record.Finding{}, Warnings: []record.Finding{f},
		Waived:       []record.WaivedFinding{{Finding: f, Waiver: record.Waiver{Rule: hostile, Reason: hostile, Expires: "2099-01-01"}}},
		BundleDigest: "sha256:" + sha([]byte("b")), Gates: []string{"policy"}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	run.Decision = dec.Ref()
	if err := record.WriteDecision(openRoot(t, dir), dec); err != nil {
		t.Fatal(err)
	}
	if err := record.WriteRun(openRoot(t, dir), run); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestMarkdownHostile renders a run full of hostile strings and parses the
// result with a CommonMark + GFM renderer that lets raw HTML through: no
// HTML tag, link, image, heading, list item or extra cell may come from the
// record, and the text itself must still be shown.
func TestMarkdownHostile(t *testing.T) {
	t.Parallel()
	rep, err := Build(t.Context(), Options{RunsDir: hostileRuns(t), Now: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	rep.RunsDir = "runs" // the golden must not name the temporary directory
	var out bytes.Buffer
	if err := Render(&out, rep, "md"); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "hostile.md")
	if *update {
		writeFile(t, golden, out.Bytes())
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), out.String()); d != "" {
		t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", golden, d)
	}

	var page bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert(out.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	h := page.String()
	for _, bad := range []string{"<script", "<img", "<td><script", "<h1>Heading", "<li>item", "<li>first", "<em>", "<del>", "<strong>em", "\u2028"} {
		if strings.Contains(h, bad) {
			t.Errorf("rendered Markdown contains %q", bad)
		}
	}
	// Links: only the report's own anchors, or a bare URL autolinked by GFM
	// whose text is its target (nothing hidden behind link text).
	for _, m := range regexp.MustCompile(`<a href="([^"]*)">(.*?)</a>`).FindAllStringSubmatch(h, -1) {
		if !strings.HasPrefix(m[1], "#run-") && m[1] != m[2] {
			t.Errorf("link %q with text %q", m[1], m[2])
		}
	}
	if n := strings.Count(h, "<a "); n != strings.Count(h, `<a href="`) {
		t.Errorf("an <a> tag with attributes other than href: %d vs %d", n, strings.Count(h, `<a href="`))
	}
	if n := strings.Count(h, "<h1>"); n != 1 {
		t.Errorf("%d <h1>, want only the title", n)
	}
	for _, shown := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "|injected|", "# Heading", "[link](https://evil.test/)", "&amp;lt;b&amp;gt;"} {
		if !strings.Contains(h, shown) {
			t.Errorf("rendered Markdown does not show %q as text", shown)
		}
	}
	// Every table row has as many cells as its header.
	tables := regexp.MustCompile(`(?s)<table>.*?</table>`).FindAllString(h, -1)
	if len(tables) < 4 {
		t.Fatalf("%d tables, want the summary, runs, tasks, policy and SLSA tables", len(tables))
	}
	row := regexp.MustCompile(`(?s)<tr>.*?</tr>`)
	for _, tb := range tables {
		rows := row.FindAllString(tb, -1)
		cols := strings.Count(rows[0], "<th")
		for _, r := range rows[1:] {
			if n := strings.Count(r, "<td"); n != cols {
				t.Errorf("row with %d cells in a %d-column table: %s", n, cols, r)
			}
		}
	}
}

// FuzzMarkdownCell: any string, escaped with md, stays one cell of one row
// and produces no HTML element but the table's own (and GFM autolinks).
func FuzzMarkdownCell(f *testing.F) {
	f.Add(hostile)
	f.Add("a|b\n|c|")
	f.Add("<div>\n\n</div>")
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	tag := regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)`)
	allowed := map[string]bool{"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "a": true}
	f.Fuzz(func(t *testing.T, s string) {
		src := "| k | v |\n|---|---|\n| key | " + md(s) + " |\n"
		var page bytes.Buffer
		if err := gm.Convert([]byte(src), &page); err != nil {
			t.Fatal(err)
		}
		h := page.String()
		if strings.Count(h, "<tr>") != 2 || strings.Count(h, "<td") != 2 {
			t.Fatalf("%q: not one row of two cells:\n%s", s, h)
		}
		for _, m := range tag.FindAllStringSubmatch(h, -1) {
			if !allowed[strings.ToLower(m[2])] {
				t.Fatalf("%q: element <%s> in\n%s", s, m[2], h)
			}
		}
	})
}
