package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/spec"
)

func TestRedactor(t *testing.T) {
	t.Parallel()
	r := &redactor{}
	r.add("hunter2-canary")
	r.add("line-one\nline-two-secret\n")
	r.add("")
	tests := []struct{ in, want string }{
		{"token=hunter2-canary.", "token=***."},
		{"a hunter2-canaryhunter2-canary b", "a ****** b"},
		{"x line-two-secret y", "x *** y"},
		{"nothing here", "nothing here"},
	}
	for _, tc := range tests {
		if got := r.scrub(tc.in); got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestResolveSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TOK": "from-env"}
	o := &Options{Root: dir, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	tests := []struct {
		name    string
		from    spec.SecretSource
		literal string
		want    string
		wantErr string
	}{
		{"env", spec.SecretSource{Env: "TOK"}, "", "from-env", ""},
		{"file relative to root", spec.SecretSource{File: "tok"}, "", "from-file", ""},
		{"command", spec.SecretSource{Command: []string{"echo", "from-cmd"}}, "", "from-cmd", ""},
		{"unset env", spec.SecretSource{Env: "NOPE"}, "", "", "not set"},
		{"missing file", spec.SecretSource{File: "nope"}, "", "", "read nope"},
		{"failing command", spec.SecretSource{Command: []string{"false"}}, "", "", "command false failed"},
		{"two sources", spec.SecretSource{Env: "TOK", File: "tok"}, "", "", "exactly one"},
		{"no source", spec.SecretSource{}, "", "", "exactly one"},
		{"literal", spec.SecretSource{Env: "TOK"}, "lit", "", "literal values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolveSecret(context.Background(), o, spec.Secret{Name: "s", Env: "S", From: tc.from, Value: tc.literal})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if got != "" || strings.Contains(err.Error(), "from-") {
					t.Errorf("error path leaked a value: %q %v", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExportGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing map[string]string
		budget   int
		wantErr  bool
		wantLeft []string
	}{
		{"new destination", nil, 0, false, []string{"a", "sub/b"}},
		{"overwrite only", map[string]string{"a": "old"}, 0, false, []string{"a", "sub/b"}},
		{"would delete two, none allowed", map[string]string{"x": "1", "y/z": "2"}, 0, true, []string{"x", "y/z"}},
		{"would delete two, one allowed", map[string]string{"x": "1", "y/z": "2"}, 1, true, []string{"x", "y/z"}},
		{"would delete two, two allowed", map[string]string{"x": "1", "y/z": "2"}, 2, false, []string{"a", "sub/b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runDir := t.TempDir()
			dest := filepath.Join(t.TempDir(), "dest")
			if tc.existing != nil {
				writeTree(t, dest, tc.existing)
			}
			e := &exporter{runDir: runDir, budget: tc.budget}
			out, err := e.export(context.Background(), "t", spec.Output{Path: "/out", Dest: dest, Type: "dir"},
				func(_ context.Context, staging string) error {
					writeTree(t, staging, map[string]string{"a": "new-a", "sub/b": "new-b"})
					return nil
				})
			if tc.wantErr != (err != nil) {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrExportGuard) {
				t.Fatalf("err = %v, want ErrExportGuard", err)
			}
			left, lerr := listFiles(dest)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if len(left) != len(tc.wantLeft) {
				t.Fatalf("files left %v, want %v", left, tc.wantLeft)
			}
			for _, f := range tc.wantLeft {
				if !left[filepath.FromSlash(f)] {
					t.Errorf("missing %s in %v", f, left)
				}
			}
			if err == nil {
				// The digest is the sha256sum manifest of the tree.
				testenv.RequireProgram(t, "sha256sum", "coreutils")
				cmd := exec.Command("sh", "-c", "find . -type f | sed 's,^./,,' | LC_ALL=C sort | xargs sha256sum | sha256sum")
				cmd.Dir = dest
				b, cerr := cmd.Output()
				if cerr != nil {
					t.Fatalf("sha256sum manifest: %v", cerr)
				}
				if want := strings.Fields(string(b))[0]; out.SHA256 != want {
					t.Errorf("dir digest %s, sha256sum manifest %s", out.SHA256, want)
				}
			}
		})
	}
}

func TestBuiltinGate(t *testing.T) {
	t.Parallel()
	pinned := testSpec(task("a"))
	unpinned := testSpec(task("a"))
	unpinned.Images = map[string]spec.Image{"bb": {Ref: "busybox:latest"}}
	inline := testSpec(spec.Task{Name: "a", Image: "busybox:1.36", Run: []string{"true"}})
	literal := testSpec(task("a"))
	literal.Tasks[0].Secrets = []spec.Secret{{Name: "s", Env: "S", Value: "x"}}
	tests := []struct {
		name    string
		s       *spec.Spec
		tier    string
		backend string
		allow   bool
		rule    string
	}{
		{"pinned dagger ci", pinned, "ci", BackendDagger, true, ""},
		{"host in local", pinned, "local", BackendHost, true, ""},
		{"host outside local", pinned, "ci", BackendHost, false, "pinline.exec.host_backend"},
		{"unpinned image", unpinned, "local", BackendDagger, false, "pinline.exec.image_digest"},
		{"unpinned inline image", inline, "local", BackendDagger, false, "pinline.exec.image_digest"},
		{"literal secret", literal, "local", BackendDagger, false, "pinline.exec.secret_literal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := Gates{BuiltinGate{}}.Evaluate(context.Background(), GateInput{Spec: tc.s, Tier: tc.tier, Backend: tc.backend})
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tc.allow {
				t.Fatalf("allow = %v, want %v (%+v)", d.Allow, tc.allow, d.Violations)
			}
			if tc.rule != "" && (len(d.Violations) == 0 || d.Violations[0].RuleID != tc.rule) {
				t.Errorf("violations %+v, want rule %s", d.Violations, tc.rule)
			}
		})
	}
	if _, err := (Gates{}).Evaluate(context.Background(), GateInput{Spec: pinned}); err == nil {
		t.Error("an empty gate list must fail closed")
	}
}

// A directory output's digest covers its regular files only: a symlink,
// even to a file outside the directory, is not followed.
func TestDirDigestRegularFilesOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("outside the output\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want, wantSize, err := dirDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	got, size, err := dirDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || size != wantSize || size != 2 {
		t.Errorf("with a symlink: digest %s size %d, want %s size %d", got, size, want, wantSize)
	}
	sum := sha256.Sum256([]byte("a\n"))
	if manifest := sha256.Sum256([]byte(hex.EncodeToString(sum[:]) + "  a.txt\n")); got != hex.EncodeToString(manifest[:]) {
		t.Errorf("digest %s is not the sha256sum manifest of a.txt", got)
	}
}

// The run.json summary holds hex digests: every gate's, when several
// report one.
func TestDecisionRefDigests(t *testing.T) {
	t.Parallel()
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	d := &Decision{Allow: true, InputDigest: "sha256:" + a + ",sha256:" + b, BundleDigest: "sha256:" + a}
	ref := d.Ref()
	if ref.InputSHA256 != a+","+b || ref.BundleSHA256 != a {
		t.Errorf("input %q bundle %q", ref.InputSHA256, ref.BundleSHA256)
	}
	if (&Decision{}).Ref().InputSHA256 != "" {
		t.Error("no digest became non-empty")
	}
}
