package pin

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestImageTarget(t *testing.T) {
	t.Parallel()
	const d = "sha256:49cc5f6a00b8a953db01fc2e15b0981be8615838d3ae284abaadec9cb3cf9832"
	tests := []struct {
		text                    string
		resolve, suffix, pinned string
		ok                      bool
	}{
		{"alpine:3.20", "alpine:3.20", "", "", true},
		{"alpine", "alpine:latest", ":latest", "", true},
		{"127.0.0.1:5000/lib/x", "127.0.0.1:5000/lib/x:latest", ":latest", "", true},
		{"127.0.0.1:5000/lib/x:1", "127.0.0.1:5000/lib/x:1", "", "", true},
		{"alpine:3.20@" + d, "alpine:3.20", "", d, true},
		{"alpine@" + d, "", "", d, true},
		{"alpine@sha256:short", "", "", "", false},
		{"http://example.invalid/x", "", "", "", false},
		{"golang:%s", "", "", "", false},
		{"node:${v}", "", "", "", false},
		{"Upper/Case:1", "", "", "", false},
		{"", "", "", "", false},
		{"two words", "", "", "", false},
	}
	for _, tt := range tests {
		r, s, p, ok := imageTarget(tt.text)
		if diff := cmp.Diff([]any{tt.resolve, tt.suffix, tt.pinned, tt.ok}, []any{r, s, p, ok}); diff != "" {
			t.Errorf("imageTarget(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestRewriteURL(t *testing.T) {
	t.Parallel()
	g := &Git{Rewrites: []Rewrite{
		{From: "https://github.com/", To: "file:///mirror/"},
		{From: "https://github.com/acme/", To: "file:///acme/"},
	}}
	for in, want := range map[string]string{
		"https://github.com/acme/tools":  "file:///acme/tools",
		"https://github.com/other/tools": "file:///mirror/other/tools",
		"https://gitlab.com/acme/tools":  "https://gitlab.com/acme/tools",
	} {
		if got := g.RewriteURL(in); got != want {
			t.Errorf("RewriteURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveRef(t *testing.T) {
	t.Parallel()
	refs := map[string]string{
		"HEAD":             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"refs/heads/main":  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"refs/heads/v1":    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		"refs/tags/v1":     "cccccccccccccccccccccccccccccccccccccccc",
		"refs/pull/1/head": "dddddddddddddddddddddddddddddddddddddddd",
	}
	tests := []struct {
		ref, commit, kind string
		found             bool
	}{
		{"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "branch", true},
		{"v1", "cccccccccccccccccccccccccccccccccccccccc", "tag", true}, // tags win
		{"refs/heads/v1", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "branch", true},
		{"pull/1/head", "dddddddddddddddddddddddddddddddddddddddd", "ref", true},
		{"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "commit", true},
		{"v2", "", "", false},
		{"refs/tags/v", "", "", false},
	}
	for _, tt := range tests {
		got, err := resolveRef(refs, "https://github.com/acme/tools", tt.ref)
		if (err == nil) != tt.found || got.Commit != tt.commit || got.Kind != tt.kind {
			t.Errorf("resolveRef(%q) = %+v, %v", tt.ref, got, err)
		}
	}
}
