package cli

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestPinExitCodes(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, name, content string) string {
		dir := t.TempDir()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	unpinned := `{"name":"a","dependencies":[{"name":"t","source":"github.com/acme/tools@v1"}]}`
	pinned := `{"name":"a","dependencies":[{"name":"t","source":"github.com/acme/tools@v1","pin":"0b68a41656546134aa6b5c0a439fd1ffcd2ecae9"}]}`
	tests := []struct {
		name, file, content string
		args                []string
		code                int
		want                string
	}{
		{"offline check finds unpinned", "dagger.json", unpinned, []string{"--check", "--offline"}, ExitDenied, "unpinned module github.com/acme/tools@v1"},
		{"offline check on pinned", "dagger.json", pinned, []string{"--check", "--offline"}, ExitOK, "nothing to pin"},
		{"malformed dagger.json", "dagger.json", `{"name": `, []string{"--check", "--offline"}, ExitUsage, "dagger.json"},
		{"registry unreachable", "pinline.yaml", "images:\n  a: 127.0.0.1:1/lib/x:1\n", nil, ExitOperational, "host 127.0.0.1:1"},
		{"offline without check", "dagger.json", pinned, []string{"--offline"}, ExitUsage, "--offline needs --check"},
		{"check and verify", "dagger.json", pinned, []string{"--check", "--verify"}, ExitUsage, "check"},
		{"missing path", "dagger.json", pinned, []string{"nope/"}, ExitUsage, "nope"},
		{"bad min-age", "dagger.json", pinned, []string{"--min-age", "seven"}, ExitUsage, "--min-age: invalid age"},
		{"min-age with verify", "dagger.json", pinned, []string{"--min-age", "7d", "--verify"}, ExitUsage, "--min-age applies to new pins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := write(t, tt.file, tt.content)
			path := dir
			if tt.name == "missing path" {
				path = filepath.Join(dir, "nope")
			}
			code, out, errOut := runCLI(t, append(append([]string{"pin"}, tt.args...), path)...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Fatalf("exit %d, want %d; output lacks %q:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, tt.file)); string(got) != tt.content {
				t.Error("file changed")
			}
		})
	}
}

// TestPinModesAgainstRegistry drives check, diff, pin and verify through
// the CLI against a registry on 127.0.0.1.
func TestPinModesAgainstRegistry(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	push := func(content string) {
		img, err := mutate.AppendLayers(empty.Image, static.NewLayer([]byte(content), types.OCILayer))
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := name.ParseReference(host + "/lib/alpine:3.20")
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	push("one")
	dir := t.TempDir()
	p := filepath.Join(dir, "pinline.yaml")
	orig := "images:\n  a: " + host + "/lib/alpine:3.20 # base\n"
	if err := os.WriteFile(p, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func() string { b, _ := os.ReadFile(p); return string(b) }

	if code, out, _ := runCLI(t, "pin", "--check", dir); code != ExitDenied || !strings.Contains(out, "unpinned image") {
		t.Fatalf("--check: exit %d\n%s", code, out)
	}
	code, out, _ := runCLI(t, "pin", "--diff", dir)
	if code != ExitOK || !strings.Contains(out, "+++ b/") || !strings.Contains(out, "@sha256:") || read() != orig {
		t.Fatalf("--diff: exit %d, file changed=%v\n%s", code, read() != orig, out)
	}
	if code, out, _ := runCLI(t, "pin", dir); code != ExitOK || !strings.Contains(read(), "3.20@sha256:") || !strings.HasSuffix(read(), " # base\n") {
		t.Fatalf("pin: exit %d\n%s\n%s", code, out, read())
	}
	if code, out, _ := runCLI(t, "pin", "--check", dir); code != ExitOK {
		t.Fatalf("--check after pin: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "pin", "--verify", dir); code != ExitOK || !strings.Contains(out, "ok image") {
		t.Fatalf("--verify: exit %d\n%s", code, out)
	}
	push("two")
	if code, out, _ := runCLI(t, "pin", "--verify", dir); code != ExitDenied || !strings.Contains(out, "tag-moved") {
		t.Fatalf("--verify after retag: exit %d\n%s", code, out)
	}
}
