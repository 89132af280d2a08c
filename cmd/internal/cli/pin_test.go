package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &streams{in: strings.NewReader(""), out: &out, errOut: &errOut, env: func(string) (string, bool) { return "", false }}
	code := run(t.Context(), s, args)
	return code, out.String(), errOut.String()
}

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
