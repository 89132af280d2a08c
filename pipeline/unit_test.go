package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/policy"
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
				cmd := exec.Command("sh", "-c", "find . -type f | sed 's,^./,,' | LC_ALL=C sort | xargs sha256sum | sha256sum")
				cmd.Dir = dest
				b, cerr := cmd.Output()
				if cerr != nil {
					t.Skip("sha256sum not available")
				}
				if want := strings.Fields(string(b))[0]; out.SHA256 != want {
					t.Errorf("dir digest %s, sha256sum manifest %s", out.SHA256, want)
				}
			}
		})
	}
}

// The executor's own rules are rules of the policy catalogue, evaluated
// by the one gate on the spec being run (also when it is not named
// pinline.yaml), each problem reported once, and not waivable.
func TestPolicyGateExecutorRules(t *testing.T) {
	t.Parallel()
	pinned := testSpec(task("a"))
	unpinned := testSpec(task("a"))
	unpinned.Images = map[string]spec.Image{"bb": {Name: "bb", Ref: "busybox:latest", Pos: spec.Pos{Line: 2, Column: 3}}}
	inline := testSpec(spec.Task{Name: "a", Image: "busybox:1.36", Run: []string{"true"}, Pos: spec.Pos{Line: 3, Column: 3}})
	literal := testSpec(task("a"))
	literal.Tasks[0].Secrets = []spec.Secret{{Name: "s", Env: "S", Value: "x", Pos: spec.Pos{Line: 4, Column: 7}}}
	tests := []struct {
		name    string
		s       *spec.Spec
		tier    string
		backend string
		rules   []string
	}{
		{"pinned dagger ci", pinned, "ci", BackendDagger, nil},
		{"host in local", pinned, "local", BackendHost, nil},
		{"host outside local", pinned, "ci", BackendHost, []string{"PL013"}},
		{"unpinned image", unpinned, "local", BackendDagger, []string{"PL021"}},
		{"unpinned inline image", inline, "local", BackendDagger, []string{"PL021"}},
		{"literal secret", literal, "local", BackendDagger, []string{"PL010"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			s := *tc.s
			s.Path = filepath.Join(root, "ci", "build.yaml") // not found by the repository walk
			d, err := Gates{PolicyGate{}}.Evaluate(context.Background(), GateInput{Root: root, Spec: &s, Tier: tc.tier, Backend: tc.backend})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range d.Violations {
				got = append(got, v.RuleID)
				if v.Pos.File != "ci/build.yaml" && v.RuleID != "PL013" {
					t.Errorf("finding file %q, want ci/build.yaml", v.Pos.File)
				}
			}
			if d.Allow != (len(tc.rules) == 0) || !slices.Equal(got, tc.rules) {
				t.Fatalf("allow %v, violations %v; want %v", d.Allow, got, tc.rules)
			}
		})
	}
	// A waiver of an executor rule is bad policy data, even in tier local.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, ".pinline"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".pinline", "policy.yaml"),
		[]byte("waivers:\n  - {rule: PL021, path: \"**\", reason: r, expires: "+time.Now().AddDate(0, 0, 7).Format(time.DateOnly)+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := *unpinned
	s.Path = filepath.Join(root, "pinline.yaml")
	_, err := PolicyGate{}.Evaluate(context.Background(), GateInput{Root: root, Spec: &s, Tier: "local", Backend: BackendDagger})
	var pe *policy.ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "not waivable") {
		t.Errorf("waiver of PL021: %v, want a not-waivable error", err)
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
