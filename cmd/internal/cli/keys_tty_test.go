package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/pinline/pinline/internal/testenv"
)

// TestKeysGeneratePromptsOnTTY types the password into a real pseudo
// terminal: without COSIGN_PASSWORD, keys generate asks twice.
func TestKeysGeneratePromptsOnTTY(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		typed string
		code  int
	}{
		"matching":   {"s3cret\ns3cret\n", 0},
		"mismatched": {"s3cret\nother\n", 2},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ptmx, tty, err := pty.Open()
			if err != nil {
				testenv.Unavailable(t, "no pty: "+err.Error(), "a kernel with /dev/ptmx (devpts)")
			}
			defer ptmx.Close()
			defer tty.Close()
			go func() {
				for _, line := range strings.SplitAfter(tc.typed, "\n") {
					time.Sleep(100 * time.Millisecond)
					_, _ = ptmx.WriteString(line)
				}
			}()
			go func() { _, _ = bytes.NewBuffer(nil).ReadFrom(ptmx) }() // drain echo
			prefix := filepath.Join(t.TempDir(), "k")
			var out, errOut bytes.Buffer
			s := &streams{in: tty, out: &out, errOut: &errOut, env: func(string) (string, bool) { return "", false }}
			code := run(context.Background(), s, []string{"keys", "generate", "--output-key-prefix", prefix})
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), "Enter password") {
				t.Errorf("no prompt: %q", errOut.String())
			}
			if tc.code == 0 {
				if _, err := os.Stat(prefix + ".key"); err != nil {
					t.Fatal(err)
				}
				code, _, e := runCLIEnv(t, map[string]string{"COSIGN_PASSWORD": "s3cret"}, "attest", "--predicate", writeTemp(t, `{"a":1}`), "--type", "https://example.test/p", "--subject", prefix+".pub", "--key", prefix+".key")
				if code != 0 {
					t.Fatalf("typed password does not open the key: %s", e)
				}
			}
		})
	}
}

func writeTemp(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "f.json")
	write(t, p, s)
	return p
}
