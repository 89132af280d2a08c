package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/gitserver"
	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
)

func writeFile(t testing.TB, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// readStatementMap is the in-toto statement of a DSSE envelope file as a map.
func readStatementMap(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Payload []byte `json:"payload"`
	}
	var st map[string]any
	if err := json.Unmarshal(b, &env); err != nil || json.Unmarshal(env.Payload, &st) != nil {
		t.Fatalf("%s: not a DSSE envelope with a JSON statement", path)
	}
	return st
}

// gitIn runs git in dir with a fixed identity.
func gitIn(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.email=t@example.test", "-c", "user.name=t", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// callRepo is a repository with a Go SDK module in ci/ that depends on the
// git module dep, pinned to commit depCommit. Its functions: hello (a
// constant), withDep (calls the dependency), busy (pulls busybox by
// digest), tagged (pulls it by tag; waived PL006 in .pinline/policy.yaml),
// files (reads a directory argument) and report (returns a file, for
// -o). marker makes the module's source unique, so that nothing of an
// earlier test run is cached.
func callRepo(t testing.TB, depSource, depCommit, busybox, marker string) string {
	t.Helper()
	root := t.TempDir()
	tagged, _, _ := strings.Cut(busybox, "@")
	files := map[string]string{
		"ci/dagger.json": fmt.Sprintf(`{"name": "gate", "engineVersion": "v0.19.10", "sdk": {"source": "go"},
  "dependencies": [{"name": "dep", "source": %q, "pin": %q}]}
`, depSource, depCommit),
		"ci/main.go": fmt.Sprintf(`package main

import (
	"context"
	"strings"

	"dagger/gate/internal/dagger"
)

type Gate struct{}

// Hello returns a constant.
func (m *Gate) Hello() string { return "hello from module %s" }

// WithDep calls the git-pinned dependency.
func (m *Gate) WithDep(ctx context.Context) (string, error) { return dag.Dep().Greet(ctx, "gate") }

// Busy runs busybox pulled by digest.
func (m *Gate) Busy(ctx context.Context) (string, error) {
	return dag.Container().From(%q).WithExec([]string{"echo", "busy"}).Stdout(ctx)
}

// Tagged runs busybox pulled by tag.
func (m *Gate) Tagged(ctx context.Context) (string, error) {
	return dag.Container().From(%q).WithExec([]string{"echo", "tagged"}).Stdout(ctx)
}

// Files reads a directory argument: the entries of its data/ and the
// content of data/in.txt.
func (m *Gate) Files(ctx context.Context, src *dagger.Directory) (string, error) {
	names, err := src.Directory("data").Entries(ctx)
	if err != nil {
		return "", err
	}
	b, err := src.File("data/in.txt").Contents(ctx)
	if err != nil {
		return "", err
	}
	return strings.Join(names, ",") + ":" + b, nil
}

// Report returns a file.
func (m *Gate) Report(
	name string,
	// +optional
	token *dagger.Secret,
) *dagger.File {
	return dag.Directory().WithNewFile("report.txt", "report for "+name+"\n").File("report.txt")
}
`, marker, busybox, tagged),
		".pinline/policy.yaml": fmt.Sprintf(`waivers:
  - rule: PL006
    path: ci/main.go
    ref: %q
    reason: the tag-only pull is what the test records by digest
    expires: %s
`, tagged, time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")),
		".gitignore":  ".pinline/runs/\n",
		"data/in.txt": "inside\n",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(root, name), body)
	}
	gitIn(t, root, "init", "-q")
	gitIn(t, root, "remote", "add", "origin", "https://example.test/acme/mods")
	gitIn(t, root, "add", "-A")
	gitIn(t, root, "commit", "-qm", "module")
	return root
}

// appRepo is a repository as `dagger init --sdk=go --name=app` lays it
// out (dagger.json at the root, the code in .dagger/) with a pinned git
// dependency, published on srv as app.git and cloned from there: Build
// reads VERSION and lists the directory argument, Read reads sub/in.txt.
func appRepo(t *testing.T, srv *gitserver.Server, depSource, depCommit, marker string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "dagger.json"), fmt.Sprintf(`{"name": "app", "engineVersion": "v0.19.10", "sdk": {"source": "go"},
  "dependencies": [{"name": "dep", "source": %q, "pin": %q}], "source": ".dagger"}
`, depSource, depCommit))
	writeFile(t, filepath.Join(dir, ".dagger", "main.go"), `package main

import (
	"context"
	"strings"

	"dagger/app/internal/dagger"
)

type App struct{}

// Build reads VERSION of the source directory and lists it (`+marker+`).
func (m *App) Build(ctx context.Context, src *dagger.Directory) (*dagger.File, error) {
	v, err := src.File("VERSION").Contents(ctx)
	if err != nil {
		return nil, err
	}
	names, err := src.Entries(ctx)
	if err != nil {
		return nil, err
	}
	g, err := dag.Dep().Greet(ctx, "build")
	if err != nil {
		return nil, err
	}
	s := "version " + strings.TrimSpace(v) + " entries " + strings.Join(names, ",") + " " + g + "\n"
	return dag.Directory().WithNewFile("build.txt", s).File("build.txt"), nil
}

// Read returns in.txt of a directory.
func (m *App) Read(ctx context.Context, src *dagger.Directory) (string, error) {
	return src.File("in.txt").Contents(ctx)
}
`)
	writeFile(t, filepath.Join(dir, "VERSION"), "1.2.3 ("+marker+")\n")
	writeFile(t, filepath.Join(dir, "sub", "in.txt"), "sub "+marker+"\n")
	gitIn(t, dir, "init", "-q")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-qm", "app")
	if _, err := srv.Publish("app", dir); err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "app")
	gitIn(t, filepath.Dir(clone), "clone", "-q", srv.URL("app"), clone)
	return clone
}

// lastRun reads the newest run record under root.
func lastRun(t *testing.T, root string) (string, *record.Run) {
	t.Helper()
	runs, _ := filepath.Glob(filepath.Join(root, ".pinline", "runs", "*", record.RunFile))
	if len(runs) == 0 {
		t.Fatal("no run record")
	}
	// Run ids are ordered by second only (then a random suffix): the
	// newest is the latest startedAt, ties broken by name.
	slices.Sort(runs)
	var best string
	var rec *record.Run
	for _, p := range runs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var r record.Run
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if rec == nil || !r.StartedAt.Before(rec.StartedAt) {
			best, rec = p, &r
		}
	}
	return filepath.Dir(best), rec
}

// TestCallModuleEngine runs `pinline call` on real Go SDK module functions
// on the module engine (hack/setup.d/60-module-engine.sh), with a git
// dependency served over smart HTTP on 127.0.0.1:80 (Dagger v0.19.10 drops
// the port of http:// module refs).
func TestCallModuleEngine(t *testing.T) {
	env := testenv.RequireAll(t, "hack/setup.d/60-module-engine.sh and 30-engine.sh",
		"PINLINE_MODULE_ENGINE_SOCK", "PINLINE_MODULE_DAGGER_CLI", "PINLINE_IMAGE_BUSYBOX", "PINLINE_IMAGE_BUSYBOX_DIGEST")
	srv := servetest.ModuleGitServer(t, 3*time.Minute)
	marker := fmt.Sprint(os.Getpid())
	depCommit := servetest.DepModule(t, srv, marker)
	root := callRepo(t, srv.URL("dep")+"@v1.0.0", depCommit, env["PINLINE_IMAGE_BUSYBOX"], marker)
	cfg := filepath.Join(t.TempDir(), "engine.json")
	write(t, cfg, fmt.Sprintf(`{"engine": {"address": "unix://%s"}}`, env["PINLINE_MODULE_ENGINE_SOCK"]))
	cliEnv := map[string]string{EnvDaggerCLI.Name: env["PINLINE_MODULE_DAGGER_CLI"]}
	call := func(args ...string) (int, string, string) {
		return runCLICtx(context.Background(), cliEnv, append([]string{"call", "--root", root, "--engine-config", cfg, "-m", "ci"}, args...)...)
	}

	t.Run("hello json and dependency commits", func(t *testing.T) {
		code, out, e := call("hello", "--json")
		if code != 0 || strings.TrimSpace(out) != fmt.Sprintf("%q", "hello from module "+marker) {
			t.Fatalf("exit %d stdout %q\n%s", code, out, e)
		}
		dir, rec := lastRun(t, root)
		c := rec.Tasks[0].Call
		if c == nil || c.Function != "hello" || c.ModuleName != "gate" || c.SDK != "go" || len(c.Dependencies) != 1 ||
			c.Dependencies[0].Commit != depCommit {
			t.Fatalf("run.json call %+v", c)
		}
		if len(rec.Modules) != 1 || rec.Modules[0].Pin != depCommit {
			t.Errorf("run.json modules %+v, want dep at %s", rec.Modules, depCommit)
		}
		if len(rec.Outputs) != 1 || rec.Outputs[0].File != "outputs/call.json" || rec.Outputs[0].SHA256 == "" {
			t.Errorf("outputs %+v", rec.Outputs)
		}
		if _, err := os.Stat(filepath.Join(dir, record.SBOMFile)); err != nil {
			t.Errorf("no SBOM: %v", err)
		}
	})

	t.Run("second call reuses the module resolution; an edit asks the engine again", func(t *testing.T) {
		_, first := lastRun(t, root)
		code, out, e := call("hello", "--json")
		if code != 0 || strings.TrimSpace(out) != fmt.Sprintf("%q", "hello from module "+marker) {
			t.Fatalf("exit %d stdout %q\n%s", code, out, e)
		}
		_, rec := lastRun(t, root)
		c, f := rec.Tasks[0].Call, first.Tasks[0].Call
		if f.Resolution != nil {
			t.Errorf("first call of the module: resolution %+v, want the engine's (none)", f.Resolution)
		}
		if c.Resolution == nil || c.Resolution.From != "cache" || c.Resolution.Engine == "" || c.Resolution.EngineVersion != first.Engine.Version {
			t.Fatalf("second call: resolution %+v, want from cache of engine %s", c.Resolution, first.Engine.Version)
		}
		if c.ModuleDigest != f.ModuleDigest || len(c.Dependencies) != 1 || c.Dependencies[0] != f.Dependencies[0] ||
			len(rec.Modules) != 1 || rec.Modules[0].Pin != depCommit || rec.Engine.Version != first.Engine.Version {
			t.Errorf("second call %+v modules %+v engine %+v, want as the first %+v", c, rec.Modules, rec.Engine, f)
		}
		// An edit of the module's code is a new key: the engine answers.
		mainGo := filepath.Join(root, "ci", "main.go")
		b, err := os.ReadFile(mainGo)
		if err != nil {
			t.Fatal(err)
		}
		write(t, mainGo, string(b)+"\n// edited\n")
		if code, _, e := call("hello", "--json"); code != 0 {
			t.Fatalf("after edit: exit %d\n%s", code, e)
		}
		_, rec = lastRun(t, root)
		if c := rec.Tasks[0].Call; c.Resolution != nil || c.ModuleDigest == "" || c.ModuleDigest == f.ModuleDigest ||
			len(c.Dependencies) != 1 || c.Dependencies[0].Commit != depCommit {
			t.Errorf("after edit: %+v, want the engine's new resolution (digest other than %s)", c, f.ModuleDigest)
		}
	})
	t.Run("dependency function", func(t *testing.T) {
		if code, out, e := call("with-dep"); code != 0 || strings.TrimSpace(out) != "hi gate from dep" {
			t.Fatalf("exit %d stdout %q\n%s", code, out, e)
		}
	})

	digest := env["PINLINE_IMAGE_BUSYBOX_DIGEST"]
	imgKey := filepath.Join(t.TempDir(), "img")
	kenv := map[string]string{EnvDaggerCLI.Name: env["PINLINE_MODULE_DAGGER_CLI"], EnvCosignPassword.Name: "pw"}
	if code, _, e := runCLICtx(context.Background(), kenv, "keys", "generate", "--output-key-prefix", imgKey); code != 0 {
		t.Fatal(e)
	}
	for _, fn := range []string{"busy", "tagged"} {
		t.Run("image by "+map[string]string{"busy": "digest", "tagged": "tag"}[fn], func(t *testing.T) {
			// Signed: the provenance's resolvedDependencies name the image
			// by digest. (The first call of the function in this module
			// source: a call the engine answers from its cache resolves no
			// image and records none.)
			code, out, e := runCLICtx(context.Background(), kenv, "call", "--root", root, "--engine-config", cfg, "--key", imgKey+".key", "-m", "ci", fn)
			if code != 0 || strings.TrimSpace(out) != fn {
				t.Fatalf("exit %d stdout %q\n%s", code, out, e)
			}
			dir, rec := lastRun(t, root)
			found := false
			for _, im := range rec.Tasks[0].Call.Images {
				found = found || im.Digest == digest && strings.Contains(im.Ref, "pinline/busybox")
			}
			if !found {
				t.Errorf("%s: images %+v lack busybox@%s", fn, rec.Tasks[0].Call.Images, digest)
			}
			if fn == "tagged" && rec.Decision.Waived != 1 {
				t.Errorf("tag-only pull: decision %+v, want the PL006 waiver applied", rec.Decision)
			}
			// The SBOM: the dependency by commit, the image by digest, the
			// call's command line in the formulation.
			b, err := os.ReadFile(filepath.Join(dir, record.SBOMFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"pkg:generic/dep@" + depCommit, digest, `"executed": "dagger call -m ci ` + fn + `"`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("%s: SBOM lacks %s", fn, want)
				}
			}
			bd := readStatementMap(t, filepath.Join(dir, record.ProvenanceFile))["predicate"].(map[string]any)["buildDefinition"].(map[string]any)
			found = false
			for _, r := range bd["resolvedDependencies"].([]any) {
				rd := r.(map[string]any)
				name, _ := rd["name"].(string)
				d, _ := rd["digest"].(map[string]any)
				found = found || strings.HasPrefix(name, "image:") && strings.Contains(name, "pinline/busybox") && d["sha256"] == strings.TrimPrefix(digest, "sha256:")
			}
			if !found {
				t.Errorf("%s: resolvedDependencies %v lack busybox by digest", fn, bd["resolvedDependencies"])
			}
		})
	}

	t.Run("file exported with -o", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "report.txt")
		code, out, e := call("report", "--name", "x", "-o", dst)
		if code != 0 || strings.TrimSpace(out) != dst {
			t.Fatalf("exit %d stdout %q\n%s", code, out, e)
		}
		b, err := os.ReadFile(dst)
		if err != nil || string(b) != "report for x\n" {
			t.Fatalf("exported %q %v", b, err)
		}
		dir, rec := lastRun(t, root)
		if len(rec.Outputs) != 1 || rec.Outputs[0].Type != "file" || rec.Outputs[0].SHA256 != sha256hex(b) {
			t.Errorf("outputs %+v", rec.Outputs)
		}
		if _, err := os.Stat(filepath.Join(dir, rec.Outputs[0].File)); err != nil {
			t.Error(err)
		}
	})

	t.Run("directory argument --src .", func(t *testing.T) {
		prefix := filepath.Join(t.TempDir(), "pl")
		kenv := map[string]string{EnvDaggerCLI.Name: env["PINLINE_MODULE_DAGGER_CLI"], EnvCosignPassword.Name: "pw"}
		if code, _, e := runCLICtx(context.Background(), kenv, "keys", "generate", "--output-key-prefix", prefix); code != 0 {
			t.Fatal(e)
		}
		// Bounded twice: the call's own timeout, and the test's context.
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		defer cancel()
		start := time.Now()
		code, out, e := runCLICtx(ctx, kenv, "call", "--root", root, "--engine-config", cfg, "--timeout", "5m", "--key", prefix+".key",
			"-m", "ci", "files", "--src", ".")
		if code != 0 || strings.TrimSpace(out) != "in.txt:inside" {
			t.Fatalf("exit %d after %s, stdout %q\n%s", code, time.Since(start), out, e)
		}
		dir, rec := lastRun(t, root)
		args := rec.Tasks[0].Call.Args
		want := "sha256:" + repoDigest(t, root)
		if len(args) != 1 || args[0].Name != "src" || args[0].Value != "." || args[0].Digest != want {
			t.Fatalf("run.json call args %+v, want --src . with digest %s", args, want)
		}
		st := readStatementMap(t, filepath.Join(dir, record.ProvenanceFile))
		bd := st["predicate"].(map[string]any)["buildDefinition"].(map[string]any)
		calls := bd["externalParameters"].(map[string]any)["calls"].([]any)
		parg := calls[0].(map[string]any)["args"].([]any)[0].(map[string]any)
		if d, _ := parg["digest"].(map[string]any); d["sha256"] != strings.TrimPrefix(want, "sha256:") {
			t.Errorf("provenance call argument %v, want digest %s", parg, want)
		}
		// resolvedDependencies: the directory argument, the source commit
		// and the module dependency by commit.
		resolved := func(bd map[string]any, name, alg, value string) bool {
			for _, r := range bd["resolvedDependencies"].([]any) {
				rd := r.(map[string]any)
				if d, _ := rd["digest"].(map[string]any); rd["name"] == name && d[alg] == value {
					return true
				}
			}
			return false
		}
		head := gitIn(t, root, "rev-parse", "HEAD")
		for _, w := range [][3]string{{"call:call:--src=.", "sha256", strings.TrimPrefix(want, "sha256:")},
			{"source", "gitCommit", head}, {"module:dep", "gitCommit", depCommit}} {
			if !resolved(bd, w[0], w[1], w[2]) {
				t.Errorf("resolvedDependencies %v lack %s %s:%s", bd["resolvedDependencies"], w[0], w[1], w[2])
			}
		}
	})

	t.Run("directory argument through the gateway", func(t *testing.T) {
		f := startGatewayFixtureWith(t, env["PINLINE_MODULE_ENGINE_SOCK"])
		b, err := os.ReadFile(filepath.Join(root, ".pinline", "policy.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		opData := filepath.Join(t.TempDir(), "policy.yaml")
		writeFile(t, opData, string(b))
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		defer cancel()
		code, out, e := runCLICtx(ctx, map[string]string{EnvDaggerCLI.Name: env["PINLINE_MODULE_DAGGER_CLI"]}, "call", "--root", root,
			"--engine-config", filepath.Join(f.dir, "engine-extra.json"), "--policy-data", opData, "--timeout", "5m",
			"-m", "ci", "files", "--src", ".")
		if code != 0 || strings.TrimSpace(out) != "in.txt:inside" {
			t.Fatalf("exit %d, stdout %q\n%s", code, out, e)
		}
		_, rec := lastRun(t, root)
		if rec.Engine.Gateway != f.addr || rec.Tasks[0].Call.Args[0].Digest != "sha256:"+repoDigest(t, root) {
			t.Errorf("run.json engine %+v call args %+v", rec.Engine, rec.Tasks[0].Call.Args)
		}
	})

	t.Run("user flow: dagger init layout, cloned from the git server, --src . from the repository root", func(t *testing.T) {
		app := appRepo(t, srv, srv.URL("dep")+"@v1.0.0", depCommit, marker)
		t.Chdir(app)
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		// As a user types it: no --root, no -m, a relative -o.
		pcall := func(args ...string) (int, string, string) {
			return runCLICtx(ctx, cliEnv, append([]string{"call", "--engine-config", cfg, "--timeout", "5m"}, args...)...)
		}
		digest := "sha256:" + repoDigest(t, app) // before -o writes build.txt
		code, out, e := pcall("build", "--src", ".", "-o", "build.txt")
		if code != 0 || strings.TrimSpace(out) != filepath.Join(app, "build.txt") {
			t.Fatalf("build --src . -o build.txt: exit %d, stdout %q\n%s", code, out, e)
		}
		b, err := os.ReadFile(filepath.Join(app, "build.txt"))
		if want := "version 1.2.3 (" + marker + ") entries .dagger/,.git/,.pinline/,VERSION,dagger.json,sub/ hi build from dep\n"; err != nil || string(b) != want {
			t.Fatalf("build.txt %q %v, want %q", b, err, want)
		}
		_, rec := lastRun(t, app)
		c := rec.Tasks[0].Call
		if c.Module != "." || c.ModuleName != "app" || len(c.Dependencies) != 1 || c.Dependencies[0].Commit != depCommit ||
			len(c.Args) != 1 || c.Args[0].Digest != digest {
			t.Errorf("run.json call %+v", c)
		}
		if rec.Repository.URI != srv.URL("app") {
			t.Errorf("repository uri %q, want the clone's origin %s", rec.Repository.URI, srv.URL("app"))
		}
		if code, out, e := pcall("read", "--src", "./sub"); code != 0 || strings.TrimSpace(out) != "sub "+marker {
			t.Errorf("read --src ./sub: exit %d, stdout %q\n%s", code, out, e)
		}
		// dagger call's other spelling of -o.
		if code, out, e := pcall("build", "--src", "./", "export", "--path", "again.txt"); code != 0 || strings.TrimSpace(out) != filepath.Join(app, "again.txt") {
			t.Errorf("build --src ./ export --path again.txt: exit %d, stdout %q\n%s", code, out, e)
		} else if b, err := os.ReadFile(filepath.Join(app, "again.txt")); err != nil || !strings.HasPrefix(string(b), "version 1.2.3") {
			t.Errorf("again.txt %q %v", b, err)
		}

		// Two at once: on v0.19.10 two function calls listing host
		// directory arguments at the same time both hang (plain dagger
		// call too); pinline runs them one after the other.
		var wg sync.WaitGroup
		res := make([]string, 2)
		for i := range res {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, out, e := pcall("build", "--src", ".", "--json")
				if code != 0 {
					res[i] = fmt.Sprintf("exit %d, stdout %q\n%s", code, out, e)
				}
			}()
		}
		wg.Wait()
		for i, r := range res {
			if r != "" {
				t.Errorf("concurrent build %d: %s", i, r)
			}
		}

		// What stays denied from the root (before any engine): the parent,
		// a symlink out of the repository, an unknown scheme's ../.
		outside := t.TempDir()
		writeFile(t, filepath.Join(outside, "in.txt"), "outside\n")
		if err := os.Symlink(outside, filepath.Join(app, "link-out")); err != nil {
			t.Fatal(err)
		}
		rel, err := filepath.Rel(app, outside)
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range []string{"..", "./link-out", "link-out/", "x://../" + rel} {
			before := runDirs(t, app)
			code, out, e := pcall("read", "--src", src)
			if code != ExitDenied || !strings.Contains(out+e, pipeline.RuleCallPath) || strings.Contains(out, "outside") {
				t.Errorf("read --src %s: exit %d (want 1, %s)\n%s%s", src, code, pipeline.RuleCallPath, out, e)
			}
			if _, rec := newRun(t, app, before); rec.Status != record.StatusDenied || rec.Engine.Version != "" {
				t.Errorf("read --src %s: status %s engine %+v", src, rec.Status, rec.Engine)
			}
		}
	})

	t.Run("stalled child ends with exit 3, a stall and not the timeout; timeout and interrupt as for run", func(t *testing.T) {
		// The stand-in CLI runs the real one, and stops a call child
		// (SIGSTOP) right after it started: alive, silent, never done.
		stub := filepath.Join(t.TempDir(), "dagger")
		writeFile(t, stub, fmt.Sprintf("#!/bin/sh\ncase \"$2\" in\ncall) %q \"$@\" & pid=$!; sleep 0.2; kill -STOP $pid; wait $pid ;;\n*) exec %q \"$@\" ;;\nesac\n",
			env["PINLINE_MODULE_DAGGER_CLI"], env["PINLINE_MODULE_DAGGER_CLI"]))
		if err := os.Chmod(stub, 0o755); err != nil {
			t.Fatal(err)
		}
		// Exit 3 naming the stall tells the stall watch from the timeout
		// (exit 1, timed out); how soon it fires is no result here. The
		// guard only stops a call that never ends.
		ctx, hung := testenv.HangGuard(t, "the stalled call")
		code, out, e := runCLICtx(ctx, map[string]string{EnvDaggerCLI.Name: stub}, "call", "--root", root, "--engine-config", cfg,
			"--timeout", "25s", "-m", "ci", "hello")
		hung()
		if code != ExitOperational || !strings.Contains(e, "stalled") || !strings.Contains(e, "dagger call hello") {
			t.Fatalf("exit %d (want 3, a stall), stdout %q\n%s", code, out, e)
		}
		_, rec := lastRun(t, root)
		if rec.Status != record.StatusFailed || !strings.Contains(rec.Error, "stalled") {
			t.Errorf("run.json status %q error %q", rec.Status, rec.Error)
		}

		// Without the stall watch the call's --timeout ends it, like a
		// run's (exit 1, timed out); an interrupt ends it at once.
		code, _, e = runCLICtx(ctx, map[string]string{EnvDaggerCLI.Name: stub}, "call", "--root", root, "--engine-config", cfg,
			"--timeout", "6s", "--stall-timeout", "-1s", "-m", "ci", "hello")
		hung()
		if _, rec := lastRun(t, root); code != ExitDenied || rec.Status != record.StatusTimedOut {
			t.Errorf("timeout: exit %d, status %q\n%s", code, rec.Status, e)
		}
		ictx, icancel := context.WithCancel(ctx)
		time.AfterFunc(3*time.Second, icancel)
		code, _, e = runCLICtx(ictx, map[string]string{EnvDaggerCLI.Name: stub}, "call", "--root", root, "--engine-config", cfg, "-m", "ci", "hello")
		hung()
		if _, rec := lastRun(t, root); code != ExitDenied || rec.Status != record.StatusInterrupted {
			t.Errorf("interrupt: exit %d, status %q\n%s", code, rec.Status, e)
		}
	})

	t.Run("frozen", func(t *testing.T) {
		// The tag-only pull is a lookup dagger.lock does not hold: with
		// --frozen the call is denied before the engine, at the From.
		tagged, _, _ := strings.Cut(env["PINLINE_IMAGE_BUSYBOX"], "@")
		before := runDirs(t, root)
		code, out, e := call("--frozen", "hello")
		if code != ExitDenied || !strings.Contains(e, "ci/main.go:") || !strings.Contains(e, fmt.Sprintf(`:30: --frozen: go image %q has no digest`, tagged)) ||
			!strings.Contains(e, "[PL028]") {
			t.Fatalf("--frozen without a lock entry: exit %d\n%s\n%s", code, out, e)
		}
		if _, rec := newRun(t, root, before); rec.Status != record.StatusDenied || rec.Engine.Version != "" {
			t.Errorf("denied call record: status %s engine %+v", rec.Status, rec.Engine)
		}
		// With the entry in dagger.lock the frozen call runs, and the
		// check after it finds nothing added.
		lock := filepath.Join(root, "dagger.lock")
		writeFile(t, lock, fmt.Sprintf("[[\"version\",\"2\"]]\n[\"\",\"container.from\",[%q,\"linux/amd64\"],%q]\n", tagged, env["PINLINE_IMAGE_BUSYBOX_DIGEST"]))
		defer os.Remove(lock)
		before = runDirs(t, root)
		code, out, e = call("--frozen", "hello")
		if code != 0 || strings.Contains(out+e, "PL02") {
			t.Fatalf("--frozen with the entry: exit %d\n%s\n%s", code, out, e)
		}
		dir, rec := newRun(t, root, before)
		dec, err := record.ReadDecision(dir)
		if err != nil || rec.Status != record.StatusSucceeded || len(dec.Violations) != 0 {
			t.Errorf("frozen call: status %s decision %+v %v", rec.Status, dec, err)
		}
	})

	t.Run("lock entries the call added", func(t *testing.T) {
		// A Dagger 1.0 CLI writes the lookups it resolved to dagger.lock;
		// the v0.19 CLI of the module engine does not, so a wrapper runs
		// the real call on the engine and then appends an entry, as 1.0
		// would. Without --frozen the entry is a PL026 warning of a
		// succeeded call; with it the call is denied after it ran, with
		// no SBOM.
		tagged, _, _ := strings.Cut(env["PINLINE_IMAGE_BUSYBOX"], "@")
		lock := filepath.Join(root, "dagger.lock")
		base := fmt.Sprintf("[[\"version\",\"2\"]]\n[\"\",\"container.from\",[%q,\"linux/amd64\"],%q]\n", tagged, env["PINLINE_IMAGE_BUSYBOX_DIGEST"])
		defer os.Remove(lock)
		entry := `["","container.from",["alpine:3.21","linux/amd64"],"sha256:` + strings.Repeat("c", 64) + `"]`
		real := env["PINLINE_MODULE_DAGGER_CLI"]
		stub := filepath.Join(t.TempDir(), "dagger")
		writeFile(t, stub, fmt.Sprintf("#!/bin/sh\ncase \"$2\" in\ncall) %q \"$@\"; rc=$?; echo '%s' >> dagger.lock; exit $rc ;;\n*) exec %q \"$@\" ;;\nesac\n",
			real, entry, real))
		if err := os.Chmod(stub, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, frozen := range []bool{false, true} {
			writeFile(t, lock, base)
			args := []string{"call", "--root", root, "--engine-config", cfg, "-m", "ci"}
			want, status := ExitOK, record.StatusSucceeded
			if frozen {
				args = append(args, "--frozen")
				want, status = ExitDenied, record.StatusDenied
			}
			before := runDirs(t, root)
			code, out, e := runCLICtx(context.Background(), map[string]string{EnvDaggerCLI.Name: stub}, append(args, "hello")...)
			_, rec := newRun(t, root, before)
			if code != want || rec.Status != status || rec.Engine.Version == "" ||
				!strings.Contains(out+e, "dagger.lock:3:1: the run added dagger.lock container.from entry alpine:3.21 linux/amd64") || !strings.Contains(out+e, "PL026") {
				t.Errorf("frozen=%v: exit %d (want %d), status %s (want %s), engine %+v\nstdout:\n%s\nstderr:\n%s", frozen, code, want, rec.Status, status, rec.Engine, out, e)
			}
			if frozen && (rec.Evidence.SBOM != "" || rec.Evidence.Provenance != "") || !frozen && !strings.Contains(out, "hello from module") {
				t.Errorf("frozen=%v: evidence %+v, stdout %q", frozen, rec.Evidence, out)
			}
		}
	})

	t.Run("pinline.yaml mixes a container task and a call task", func(t *testing.T) {
		y := fmt.Sprintf(`version: 1
name: mixed
images:
  bb: %s
tasks:
  prep:
    image: bb
    run: [echo, prep]
  report:
    call: {module: ci, function: report, args: [--name, spec], output: outputs/report.txt}
    dependsOn: [prep]
`, env["PINLINE_IMAGE_BUSYBOX"])
		writeFile(t, filepath.Join(root, "pinline.yaml"), y)
		defer os.Remove(filepath.Join(root, "pinline.yaml"))
		code, out, e := runCLICtx(context.Background(), cliEnv, "run", "-f", filepath.Join(root, "pinline.yaml"), "--engine-config", cfg)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, e)
		}
		dir, rec := lastRun(t, root)
		b, err := os.ReadFile(filepath.Join(dir, "outputs", "report.txt"))
		if err != nil || string(b) != "report for spec\n" || len(rec.Tasks) != 2 || rec.Tasks[1].Call == nil {
			t.Errorf("report %q %v, tasks %+v", b, err, rec.Tasks)
		}
	})

	t.Run("signed through the gateway, verified by cosign and pinline", func(t *testing.T) {
		f := startGatewayFixtureWith(t, env["PINLINE_MODULE_ENGINE_SOCK"])
		prefix := filepath.Join(t.TempDir(), "pl")
		if code, _, e := runCLICtx(context.Background(), f.env, "keys", "generate", "--output-key-prefix", prefix); code != 0 {
			t.Fatal(e)
		}
		t.Setenv("GATE_TEST_TOKEN", "s3cret-value")
		genv := map[string]string{EnvDaggerCLI.Name: env["PINLINE_MODULE_DAGGER_CLI"], EnvCosignPassword.Name: f.env[EnvCosignPassword.Name]}
		// Outside tier local the repository's waivers do not apply: the
		// operator's policy data (the same waiver) is passed instead.
		b, err := os.ReadFile(filepath.Join(root, ".pinline", "policy.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		opData := filepath.Join(t.TempDir(), "policy.yaml")
		writeFile(t, opData, string(b))
		code, out, e := runCLICtx(context.Background(), genv, "call", "--root", root, "--engine-config", filepath.Join(f.dir, "engine-extra.json"),
			"--policy-data", opData, "--key", prefix+".key", "-m", "ci", "report", "--name", "signed", "--token", "env:GATE_TEST_TOKEN")
		if code != 0 {
			t.Fatalf("exit %d %s\n%s", code, out, e)
		}
		dir, rec := lastRun(t, root)
		if rec.Engine.Gateway != f.addr || !rec.Evidence.Signed {
			t.Fatalf("run.json engine %+v evidence %+v", rec.Engine, rec.Evidence)
		}
		st := readStatementMap(t, filepath.Join(dir, record.ProvenanceFile))
		calls, _ := st["predicate"].(map[string]any)["buildDefinition"].(map[string]any)["externalParameters"].(map[string]any)["calls"].([]any)
		if len(calls) != 1 {
			t.Fatalf("externalParameters.calls: %v", calls)
		}
		c := calls[0].(map[string]any)
		head := gitIn(t, root, "rev-parse", "HEAD")
		if c["module"] != "git+https://example.test/acme/mods//ci@"+head || c["function"] != "report" {
			t.Errorf("call %v", c)
		}
		b, _ = json.Marshal(c["args"])
		if !strings.Contains(string(b), `{"name":"token","secret":true}`) || strings.Contains(string(b), "GATE_TEST_TOKEN") {
			t.Errorf("secret argument recorded as %s", b)
		}
		art := filepath.Join(dir, rec.Outputs[0].File)
		bin := cosignBin(t)
		if o, err := cosign(t, bin, dir, "verify-blob-attestation", "--key", prefix+".pub", "--signature", record.ProvenanceFile,
			"--type", "slsaprovenance1", "--insecure-ignore-tlog", art); err != nil || !strings.Contains(o, "Verified OK") {
			t.Errorf("cosign: %v\n%s", err, o)
		}
		code, vo, ve := runCLICtx(context.Background(), nil, "verify", "--key", prefix+".pub", "--attestation", filepath.Join(dir, record.ProvenanceFile),
			"--artifact", art, "--builder-id", "https://pinline.dev/builders/extra/v1", "--source-uri", "https://example.test/acme/mods")
		if code != 0 {
			t.Errorf("pinline verify: exit %d %s %s", code, vo, ve)
		}
	})
}

// repoDigest is the digest pinline records for a directory argument
// naming the repository root: the sha256sum manifest of its regular files,
// .pinline/runs left out, computed here independently of pinline.
func repoDigest(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == filepath.Join(root, ".pinline", "runs") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			lines = append(lines, sha256hex(b)+"  "+filepath.ToSlash(rel)+"\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	return sha256hex([]byte(strings.Join(lines, "")))
}

// TestCallDeniedBeforeConnect: what the gate denies never reaches an
// engine (engine.json names a socket that does not exist: a connection
// attempt would be exit 3, not 1), and a Python module is gated and SBOM'd,
// then stops with exit 3 naming what the engine lacks.
func TestCallDeniedBeforeConnect(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "engine.json")
	write(t, cfg, fmt.Sprintf(`{"engine": {"address": "unix://%s"}}`, filepath.Join(t.TempDir(), "none.sock")))
	const bb = "127.0.0.1:5123/pinline/busybox:latest@sha256:9525344fe70aa34fc4ed8bfc69472ac839cfa1ec8d7b06b1f47e961333447185"
	commit := strings.Repeat("a", 40)
	pinned := callRepo(t, "http://127.0.0.1/dep.git@v1.0.0", commit, bb, "deny")
	unpinned := callRepo(t, "http://127.0.0.1/dep.git@main", "", bb, "deny")
	// Without the repository's waiver, the module's tag-only pull is
	// PL006's deny (the gate's policy decides deny or warning).
	nowaiver := callRepo(t, "http://127.0.0.1/dep.git@v1.0.0", commit, bb, "deny")
	if err := os.Remove(filepath.Join(nowaiver, ".pinline", "policy.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(pinned, "etc-link")); err != nil {
		t.Fatal(err)
	}
	py := t.TempDir()
	writeFile(t, filepath.Join(py, "dagger.json"), `{"name": "py", "engineVersion": "v0.19.10", "sdk": {"source": "python"}}`+"\n")
	writeFile(t, filepath.Join(py, "src/py/main.py"), "import dagger\n")
	ts := t.TempDir()
	writeFile(t, filepath.Join(ts, "dagger.json"), `{"name": "ts", "engineVersion": "v0.19.10", "sdk": {"source": "typescript"}}`+"\n")
	writeFile(t, filepath.Join(ts, "src/index.ts"), "import { dag } from \"@dagger.io/dagger\"\n")
	env := map[string]string{EnvDaggerCLI.Name: "/bin/false"}
	for _, tc := range []struct {
		name, root string
		args       []string
		code       int
		want       string
	}{
		{"unpinned dependency", unpinned, []string{"-m", "ci", "hello"}, ExitDenied, "PL001"},
		{"tag-only pull in module code, no waiver", nowaiver, []string{"-m", "ci", "hello"}, ExitDenied, "PL006"},
		{"directory outside the repository", pinned, []string{"-m", "ci", "report", "--src", "/etc"}, ExitDenied, pipeline.RuleCallPath},
		{"relative escape", pinned, []string{"-m", "ci", "report", "--src=../.."}, ExitDenied, pipeline.RuleCallPath},
		{"symlink escape", pinned, []string{"-m", "ci", "report", "--src", "etc-link/ssl"}, ExitDenied, pipeline.RuleCallPath},
		{"unknown URL scheme is a host path", pinned, []string{"-m", "ci", "report", "--src", "x://../../.."}, ExitDenied, pipeline.RuleCallPath},
		{"file secret outside", pinned, []string{"-m", "ci", "report", "--token", "file:/etc/shadow"}, ExitDenied, pipeline.RuleCallPath},
		{"host socket", pinned, []string{"-m", "ci", "report", "--sock", "unix:///run/docker.sock"}, ExitDenied, pipeline.RuleCallHost},
		{"host command", pinned, []string{"-m", "ci", "report", "--token", "cmd:cat /etc/shadow"}, ExitDenied, pipeline.RuleCallHost},
		{"signing password as a secret", pinned, []string{"-m", "ci", "report", "--token", "env:COSIGN_PASSWORD"}, ExitUsage, "never a secret source"},
		{"credential as a secret", pinned, []string{"-m", "ci", "report", "--token=env://AWS_SECRET_ACCESS_KEY"}, ExitUsage, "never a secret source"},
		{"module outside", pinned, []string{"-m", "etc-link", "hello"}, ExitDenied, pipeline.RuleCallPath},
		{"python module", py, []string{"hello"}, ExitOperational, "no offline Python SDK runtime"},
		{"typescript module", ts, []string{"hello"}, ExitOperational, "no offline TypeScript SDK runtime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, e := runCLICtx(context.Background(), env, append([]string{"call", "--root", tc.root, "--engine-config", cfg}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+e, tc.want) {
				t.Fatalf("exit %d (want %d), want %q in\n%s%s", code, tc.code, tc.want, out, e)
			}
			if strings.Contains(out+e, "none.sock") {
				t.Errorf("a gated call tried the engine:\n%s", e)
			}
			if sdk, ok := map[string]string{"python module": "python", "typescript module": "typescript"}[tc.name]; ok {
				dir, rec := lastRun(t, tc.root)
				if rec.Evidence.SBOM == "" || rec.Tasks[0].Call == nil || rec.Tasks[0].Call.SDK != sdk {
					t.Errorf("%s call: evidence %+v call %+v", sdk, rec.Evidence, rec.Tasks[0].Call)
				}
				if _, err := os.Stat(filepath.Join(dir, record.SBOMFile)); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
