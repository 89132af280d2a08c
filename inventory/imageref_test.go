package inventory

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hex64 = "4e94f3a9d16ca3b98cd18b6cbef2361d834a2f33c94a97a2b039c75766a682ef"

func TestParseImageRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want ImageName
	}{
		{"alpine", ImageName{"docker.io", "library/alpine", "", ""}},
		{"alpine:3.20", ImageName{"docker.io", "library/alpine", "3.20", ""}},
		{"golang:1.22-alpine", ImageName{"docker.io", "library/golang", "1.22-alpine", ""}},
		{"docker.io/library/alpine:latest", ImageName{"docker.io", "library/alpine", "latest", ""}},
		{"golangci/golangci-lint:v1.61", ImageName{"docker.io", "golangci/golangci-lint", "v1.61", ""}},
		{"ghcr.io/org/sub/img:v1", ImageName{"ghcr.io", "org/sub/img", "v1", ""}},
		{"127.0.0.1:5000/pinline/go:1.26@sha256:" + hex64, ImageName{"127.0.0.1:5000", "pinline/go", "1.26", "sha256:" + hex64}},
		{"localhost/app@sha256:" + hex64, ImageName{"localhost", "app", "", "sha256:" + hex64}},
		{"registry:5000/foo", ImageName{"registry:5000", "foo", "", ""}},
		{"python:3.13-slim@sha256:" + hex64, ImageName{"docker.io", "library/python", "3.13-slim", "sha256:" + hex64}},
	}
	for _, tt := range tests {
		got, err := ParseImageRef(tt.in)
		if err != nil {
			t.Errorf("ParseImageRef(%q): %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("ParseImageRef(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestParseImageRefErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "empty"},
		{"alpine:3 ", "whitespace"},
		{"Alpine:3", "invalid repository component"},
		{"alpine@sha256:abc", "is not sha256"},
		{"alpine@sha256:" + strings.ToUpper(hex64), "is not sha256"},
		{"alpine@md5:" + hex64, "unsupported digest algorithm"},
		{"alpine@" + hex64, "not algorithm:hex"},
		{"alpine:", "invalid tag"},
		{"alpine:-x", "invalid tag"},
		{"ghcr.io/", "missing repository"},
		{"ghcr.io//x", "invalid repository component"},
		{"a/-b", "invalid repository component"},
		{"alpine:" + strings.Repeat("x", 129), "invalid tag"},
		{strings.Repeat("a", 5000), "too long"},
		{"älpine", "non-ASCII"},
	}
	for _, tt := range tests {
		_, err := ParseImageRef(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseImageRef(%q) error = %v, want it to mention %q", tt.in, err, tt.want)
		}
	}
}

func TestLooksLikeImage(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"alpine":            false, // an enum value (distro name)
		"1.22":              false, // a version
		"registry:5000/foo": false, // a push target without tag
		"ttl.sh/foo":        false,
		"alpine:3":          true,
		"cgr.dev/chainguard/wolfi-base@sha256:" + hex64: true,
		"not an image:1": false,
	}
	for in, want := range tests {
		if got := LooksLikeImage(in); got != want {
			t.Errorf("LooksLikeImage(%q) = %v, want %v", in, got, want)
		}
	}
	if !isHostPort("localhost:5000") || !isHostPort("redis:6379") || isHostPort("postgres:16") || isHostPort("a/b:1234") {
		t.Error("isHostPort misclassifies")
	}
}
