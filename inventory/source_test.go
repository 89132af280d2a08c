package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sha40 = "626bdccf94759e5fdf32ff2b777c069309327d9a"

func TestRefKind(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                  "none",
		sha40:               "commit",
		sha40[:39]:          "branch", // a short id is not a pin
		"v1.2.3":            "tag",
		"v0.20.3":           "tag",
		"2.0.10":            "tag",
		"v1":                "tag",
		"k3s/v0.11.1":       "tag",
		"go/v0.9.0":         "tag",
		"apko/v1.16.6":      "tag",
		"v1.0.0-beta.7":     "tag",
		"refs/tags/release": "tag",
		"main":              "branch",
		"refs/heads/main":   "branch",
		"feature/x":         "branch",
		"release-2024":      "branch",
		"do-not-merge-hack": "branch",
		sha40 + "0000":      "branch",
	}
	for in, want := range tests {
		if got := RefKind(in); got != want {
			t.Errorf("RefKind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsRemoteSource(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"github.com/org/repo":          true,
		"github.com/org/repo/sub@main": true,
		"gitlab.com/g/sub/repo.git/x":  true,
		"https://host.example/a/b.git": true,
		"ssh://git@host.example/a/b":   true,
		"git@github.com:org/repo":      true,
		"../x":                         false,
		"..":                           false,
		"../..":                        false,
		"./x":                          false,
		"/abs/path":                    false,
		"gh":                           false,
		"deps/golang":                  false,
		"":                             false,
	}
	for in, want := range tests {
		if got := IsRemoteSource(in); got != want {
			t.Errorf("IsRemoteSource(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseRemoteRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want RemoteRef
	}{
		{"github.com/frantjc/daggerverse/go@main", RemoteRef{"github.com", "frantjc/daggerverse", "go", "main", "branch", "https://github.com/frantjc/daggerverse"}},
		{"github.com/sagikazarmark/daggerverse/helm@k3s/v0.11.1", RemoteRef{"github.com", "sagikazarmark/daggerverse", "helm", "k3s/v0.11.1", "tag", "https://github.com/sagikazarmark/daggerverse"}},
		{"github.com/vito/dang/dagger-sdk", RemoteRef{"github.com", "vito/dang", "dagger-sdk", "", "none", "https://github.com/vito/dang"}},
		{"github.com/org/repo@" + sha40, RemoteRef{"github.com", "org/repo", "", sha40, "commit", "https://github.com/org/repo"}},
		{"gitlab.com/group/sub/repo.git/mod@v1.0.0", RemoteRef{"gitlab.com", "group/sub/repo", "mod", "v1.0.0", "tag", "https://gitlab.com/group/sub/repo"}},
		{"https://user@host.example/a/b.git/m@main", RemoteRef{"host.example", "a/b", "m", "main", "branch", "https://host.example/a/b"}},
		{"git@github.com:org/repo/sub@v2", RemoteRef{"github.com", "org/repo", "sub", "v2", "tag", "ssh://git@github.com/org/repo.git"}},
		{"github.com/org", RemoteRef{"github.com", "org", "", "", "none", "https://github.com/org"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(&tt.want, ParseRemoteRef(tt.in)); d != "" {
			t.Errorf("ParseRemoteRef(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestDependencyPinned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src, pin string
		pinned   bool
		local    bool
	}{
		{"github.com/o/r@" + sha40, "", true, false},
		{"github.com/o/r@main", sha40, true, false},
		{"github.com/o/r@v1.2.3", sha40, true, false},
		{"github.com/o/r", sha40, true, false},
		{"github.com/o/r@v1.2.3", "", false, false},
		{"github.com/o/r@main", "", false, false},
		{"github.com/o/r@main", "main", false, false}, // a pin that is not a commit
		{"../x", "", false, true},
		{"../x", sha40, false, true}, // local sources are never "pinned"
	}
	for _, tt := range tests {
		d := newDependency(Position{}, "dependency", "", tt.src, tt.pin, false)
		if d.Pinned != tt.pinned || d.Local != tt.local {
			t.Errorf("%s pin %q: pinned=%v local=%v, want %v %v", tt.src, tt.pin, d.Pinned, d.Local, tt.pinned, tt.local)
		}
	}
}
