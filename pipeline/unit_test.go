package pipeline

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/record"
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
	base := t.TempDir()
	dir, home, opdir := filepath.Join(base, "repo"), filepath.Join(base, "home"), filepath.Join(base, "operator")
	for _, d := range []string{dir, home, opdir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, v string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "tok"), "from-file\n")
	write(filepath.Join(home, ".tok"), "from-home\n")
	write(filepath.Join(opdir, "op.tok"), "from-operator-file\n")
	write(filepath.Join(base, "victim"), "from-victim\n")
	for name, target := range map[string]string{"link-out": "../victim", "link-abs": filepath.Join(base, "victim"), "link-in": "tok"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	secretsFile, err := spec.ParseSecretsFile(filepath.Join(opdir, "secrets.yaml"), []byte(`version: 1
tiers:
  untrusted:
    op-env: {env: OP_TOK}
    op-file: {file: op.tok}
    op-cmd: {command: [sh, -c, "echo from-op-cmd"]}
    op-cosign: {env: COSIGN_PASSWORD}
  local:
    op-env: {env: OP_TOK}
`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TOK": "from-env", "OP_TOK": "from-op-env", "COSIGN_PASSWORD": "from-cosign", "PINLINE_X": "from-pinline"}
	local := &Options{Root: dir, Home: home, Tier: "local", LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	untrusted := *local
	untrusted.Tier, untrusted.Secrets = "untrusted", secretsFile
	localOp := *local
	localOp.Secrets = secretsFile
	tests := []struct {
		name    string
		o       *Options
		secret  string
		from    spec.SecretSource
		literal string
		want    string
		wantErr string
	}{
		{"env", local, "s", spec.SecretSource{Env: "TOK"}, "", "from-env", ""},
		{"file relative to root", local, "s", spec.SecretSource{File: "tok"}, "", "from-file", ""},
		{"file in home", local, "s", spec.SecretSource{File: filepath.Join(home, ".tok")}, "", "from-home", ""},
		{"link inside root", local, "s", spec.SecretSource{File: "link-in"}, "", "from-file", ""},
		{"command", local, "s", spec.SecretSource{Command: []string{"echo", "from-cmd"}}, "", "from-cmd", ""},
		{"unset env", local, "s", spec.SecretSource{Env: "NOPE"}, "", "", "not set"},
		{"missing file", local, "s", spec.SecretSource{File: "nope"}, "", "", "read nope"},
		{"failing command", local, "s", spec.SecretSource{Command: []string{"false"}}, "", "", "command false failed"},
		{"two sources", local, "s", spec.SecretSource{Env: "TOK", File: "tok"}, "", "", "exactly one"},
		{"no source", local, "s", spec.SecretSource{}, "", "", `no source for tier "local"`},
		{"literal", local, "s", spec.SecretSource{Env: "TOK"}, "lit", "", "literal values"},
		{"cosign password", local, "s", spec.SecretSource{Env: "COSIGN_PASSWORD"}, "", "", "never a secret source"},
		{"pinline variable", local, "s", spec.SecretSource{Env: "PINLINE_X"}, "", "", "never a secret source"},
		{"dotdot out of root", local, "s", spec.SecretSource{File: "../victim"}, "", "", "outside the repository and $HOME"},
		{"absolute outside", local, "s", spec.SecretSource{File: filepath.Join(base, "victim")}, "", "", "outside the repository and $HOME"},
		{"symlink out of root", local, "s", spec.SecretSource{File: "link-out"}, "", "", "escapes"},
		{"absolute symlink", local, "s", spec.SecretSource{File: "link-abs"}, "", "", "read link-abs"},
		{"NUL", local, "s", spec.SecretSource{File: "t\x00ok"}, "", "", "read t"},
		{"operator wins in local", &localOp, "op-env", spec.SecretSource{Env: "TOK"}, "", "from-op-env", ""},
		{"untrusted: spec source refused", &untrusted, "s", spec.SecretSource{Env: "TOK"}, "", "", "PL015"},
		{"untrusted: no operator source", &untrusted, "s", spec.SecretSource{}, "", "", `no source for tier "untrusted": not in`},
		{"untrusted: operator env", &untrusted, "op-env", spec.SecretSource{}, "", "from-op-env", ""},
		{"untrusted: operator file", &untrusted, "op-file", spec.SecretSource{}, "", "from-operator-file", ""},
		{"untrusted: operator command", &untrusted, "op-cmd", spec.SecretSource{}, "", "from-op-cmd", ""},
		{"untrusted: operator cosign", &untrusted, "op-cosign", spec.SecretSource{}, "", "", "never a secret source"},
		{"untrusted: other tier's name", &untrusted, "op-env-x", spec.SecretSource{}, "", "", "no source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolveSecret(context.Background(), tc.o, spec.Secret{Name: tc.secret, Env: "S", From: tc.from, Value: tc.literal})
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

// A secret command sees the minimal environment only: never the key
// password, pinline's variables or cloud credentials.
func TestSecretCommandEnvironment(t *testing.T) {
	t.Parallel()
	o := &Options{Root: t.TempDir(), Tier: "local", HostEnv: []string{"PATH=" + os.Getenv("PATH"), "HOME=/home/x",
		"COSIGN_PASSWORD=pw", "PINLINE_SECRETS=/s", "AWS_SECRET_ACCESS_KEY=a", "GOOGLE_APPLICATION_CREDENTIALS=/g",
		"AZURE_CLIENT_SECRET=z", "VAULT_TOKEN=v", "RANDOM_APP=r", "LC_ALL=C"}}
	got, err := resolveSecret(context.Background(), o, spec.Secret{Name: "s", Env: "S", From: spec.SecretSource{Command: []string{"env"}}})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, l := range strings.Split(got, "\n") {
		n, _, _ := strings.Cut(l, "=")
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"HOME", "LC_ALL", "PATH"}; !slices.Equal(names, want) {
		t.Fatalf("secret command environment has %v, want %v", names, want)
	}
}

func TestChildEnv(t *testing.T) {
	t.Parallel()
	in := []string{"PATH=/bin", "COSIGN_PASSWORD=x", "cosign_key=y", "PINLINE_TIER=t", "AWS_PROFILE=p", "_EXPERIMENTAL_DAGGER_CLI_BIN=d", "HOME=/h"}
	if got, want := childEnv(in), []string{"PATH=/bin", "_EXPERIMENTAL_DAGGER_CLI_BIN=d", "HOME=/h"}; !slices.Equal(got, want) {
		t.Fatalf("childEnv = %v, want %v", got, want)
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
			dest := filepath.Join(runDir, "outputs", "dest")
			if tc.existing != nil {
				writeTree(t, dest, tc.existing)
			}
			e := &exporter{runDir: runDir, root: openRoot(t, runDir), budget: tc.budget}
			out, err := e.export(context.Background(), "t", spec.Output{Path: "/out", Dest: "outputs/dest", Type: "dir"},
				func(_ context.Context, st staging) error {
					writeTree(t, st.abs, map[string]string{"a": "new-a", "sub/b": "new-b"})
					return nil
				})
			if tc.wantErr != (err != nil) {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrExportGuard) {
				t.Fatalf("err = %v, want ErrExportGuard", err)
			}
			left, lerr := listFiles(dest, "")
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

func openRoot(t *testing.T, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// Every write of an export goes through the run directory's os.Root: a
// symlink in the run directory (as an earlier output of the same run can
// leave behind) never sends a write outside it, and the victim is unchanged.
func TestExportConfinedToRunDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, runDir, victim string) // what earlier outputs left
		out   spec.Output
		files map[string]string // what the engine exports ("" key: a file output)
		ok    bool
	}{
		{"dest through an absolute link", func(t *testing.T, runDir, victim string) {
			mustSymlink(t, victim, filepath.Join(runDir, "outputs", "d"))
		}, spec.Output{Path: "/o", Dest: "outputs/d/passwd"}, map[string]string{"": "pwned"}, false},
		{"dest through a relative link", func(t *testing.T, runDir, victim string) {
			mustSymlink(t, "../../victim", filepath.Join(runDir, "outputs", "d"))
		}, spec.Output{Path: "/o", Dest: "outputs/d/passwd"}, map[string]string{"": "pwned"}, false},
		{"outputs itself a link", func(t *testing.T, runDir, victim string) {
			mustSymlink(t, victim, filepath.Join(runDir, "outputs"))
		}, spec.Output{Path: "/o"}, map[string]string{"": "pwned"}, false},
		{"dir output into a linked subdirectory", func(t *testing.T, runDir, victim string) {
			writeTree(t, filepath.Join(runDir, "outputs", "tree"), map[string]string{"keep": "k"})
			mustSymlink(t, victim, filepath.Join(runDir, "outputs", "tree", "sub"))
		}, spec.Output{Path: "/o", Dest: "outputs/tree", Type: "dir"}, map[string]string{"keep": "k", "sub/passwd": "pwned"}, false},
		{"file over a link replaces the link", func(t *testing.T, runDir, victim string) {
			mustSymlink(t, filepath.Join(victim, "passwd"), filepath.Join(runDir, "outputs", "f"))
		}, spec.Output{Path: "/o", Dest: "outputs/f"}, map[string]string{"": "new"}, true},
		{"link inside the run directory is fine", func(t *testing.T, runDir, victim string) {
			if err := os.MkdirAll(filepath.Join(runDir, "outputs", "real"), 0o755); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, "real", filepath.Join(runDir, "outputs", "alias"))
		}, spec.Output{Path: "/o", Dest: "outputs/alias/f"}, map[string]string{"": "new"}, true},
		{"dest absolute", nil, spec.Output{Path: "/o", Dest: "/etc/passwd"}, map[string]string{"": "pwned"}, false},
		{"dest dotdot", nil, spec.Output{Path: "/o", Dest: "outputs/../../victim/passwd"}, map[string]string{"": "pwned"}, false},
		{"dest run.json", nil, spec.Output{Path: "/o", Dest: "run.json"}, map[string]string{"": "{}"}, false},
		{"dest logs", nil, spec.Output{Path: "/o", Dest: "logs/x.log"}, map[string]string{"": "x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			runDir, victim := filepath.Join(base, "run"), filepath.Join(base, "victim")
			writeTree(t, victim, map[string]string{"passwd": "root:x:0:0"})
			if err := os.MkdirAll(runDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.setup != nil {
				tc.setup(t, runDir, victim)
			}
			e := &exporter{runDir: runDir, root: openRoot(t, runDir)}
			_, err := e.export(context.Background(), "t", tc.out, func(_ context.Context, st staging) error {
				if v, ok := tc.files[""]; ok {
					return os.WriteFile(st.abs, []byte(v), 0o644)
				}
				writeTree(t, st.abs, tc.files)
				return nil
			})
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			got, rerr := os.ReadFile(filepath.Join(victim, "passwd"))
			if rerr != nil || string(got) != "root:x:0:0" {
				t.Fatalf("victim changed: %q %v", got, rerr)
			}
			if left, _ := os.ReadDir(victim); len(left) != 1 {
				t.Fatalf("victim directory has %d entries, want 1", len(left))
			}
		})
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
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
	want, wantSize, wantFiles, err := dirDigest(context.Background(), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	got, size, files, err := dirDigest(context.Background(), dir, false)
	if err != nil {
		t.Fatal(err)
	}
	a512 := sha512.Sum512([]byte("a\n"))
	if len(files) != 1 || files[0].Path != "a.txt" || files[0].Size != 2 || files[0].SHA512 != hex.EncodeToString(a512[:]) || len(wantFiles) != 1 {
		t.Errorf("files = %+v, want a.txt with both digests", files)
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
	d := &Decision{Decision: record.Decision{Allow: true, InputDigest: "sha256:" + a + ",sha256:" + b, BundleDigest: "sha256:" + a}}
	ref := d.Ref()
	if ref.InputSHA256 != a+","+b || ref.BundleSHA256 != a {
		t.Errorf("input %q bundle %q", ref.InputSHA256, ref.BundleSHA256)
	}
	if (&Decision{}).Ref().InputSHA256 != "" {
		t.Error("no digest became non-empty")
	}
}

// A repository that commits .pinline (or .pinline/runs) as a symlink out of
// itself cannot move the run directory: it is created through an os.Root
// on the repository.
func TestOpenRunDirRefusesRepositorySymlinks(t *testing.T) {
	t.Parallel()
	for _, link := range []string{".pinline", ".pinline/runs"} {
		base := t.TempDir()
		repo, victim := filepath.Join(base, "repo"), filepath.Join(base, "victim")
		if err := os.MkdirAll(victim, 0o755); err != nil {
			t.Fatal(err)
		}
		mustSymlink(t, victim, filepath.Join(repo, link))
		rd, err := openRunDir(repo, filepath.Join(repo, ".pinline", "runs"), "r1")
		if err == nil {
			rd.Close()
			t.Fatalf("%s -> victim: run directory created", link)
		}
		if left, _ := os.ReadDir(victim); len(left) != 0 {
			t.Fatalf("%s -> victim: victim has %d entries", link, len(left))
		}
	}
	repo := t.TempDir()
	rd, err := openRunDir(repo, filepath.Join(repo, ".pinline", "runs"), "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if err := record.WriteRun(rd.root, &record.Run{ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(repo, ".pinline", "runs", "r1", "logs")); err != nil {
		t.Fatal(err)
	}
}
