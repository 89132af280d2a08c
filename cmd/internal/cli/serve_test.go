package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinline/pinline/internal/servetest"
)

// TestServeSubmitUsage: bad server configurations and submit usage are
// exit 2 with a clear message; a wrong key password stops the server at
// start (the key is decrypted once, there).
func TestServeSubmitUsage(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "server.yaml")
	if err := os.WriteFile(bad, []byte("listen: 127.0.0.1:0\nlisten2: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := servetest.New(t)
	good := env.Config(t, "/bin/true", servetest.Tier{Name: "release", Rank: 1, BuilderID: "https://b/r", Identity: "spiffe://t/ci/", Engine: "/nonexistent.sock"})
	if err := os.WriteFile(env.Keys["release"].PasswordFile, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		text string
	}{
		{[]string{"serve", "--config", bad}, ExitUsage, bad + ":2: field listen2 not found"},
		{[]string{"serve", "--config", filepath.Join(t.TempDir(), "missing.yaml")}, ExitUsage, "read server config"},
		{[]string{"serve"}, ExitUsage, "config"},
		{[]string{"serve", "--config", good}, ExitUsage, "wrong password"},
		{[]string{"submit", "--server", "https://127.0.0.1:1", "--repo", "http://x/r", "--commit", "main"}, ExitUsage, "client certificate is required"},
		{[]string{"submit", "--server", "http://127.0.0.1:1", "--repo", "http://x/r", "--commit", "main", "--cacert", env.CAFile, "--cert", "x", "--key", "y"}, ExitUsage, "want https://host:port"},
		{[]string{"submit", "--repo", "http://x/r", "--commit", "main"}, ExitUsage, "server"},
	} {
		code, _, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.text) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", tc.args, code, tc.code, tc.text, errOut)
		}
	}
}
