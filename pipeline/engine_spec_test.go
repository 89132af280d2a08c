package pipeline

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/internal/gitserver"
	"github.com/pinline/pinline/internal/testimage"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/report"
	"github.com/pinline/pinline/sbom"
	"github.com/pinline/pinline/spec"
)

// evidenceOptions adds a CycloneDX writer and a provenance signer with a
// fresh key to o.
func evidenceOptions(t *testing.T, o *Options) {
	t.Helper()
	pass := func() ([]byte, error) { return []byte("test"), nil }
	priv, _, err := attest.GenerateKeyPair(context.Background(), pass, false)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := attest.SignerFromPEM(priv, "test.key", pass)
	if err != nil {
		t.Fatal(err)
	}
	o.SBOM = CycloneDX{Options: sbom.Options{}}
	o.Attester = SignedProvenance{Signer: signer, KeyRef: "test.key", Version: "test"}
	o.BuilderID = "https://pinline.dev/builders/test"
}

// statement decodes the run's signed provenance statement.
func statement(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, record.ProvenanceFile))
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Payload string }
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestEngineEnvServicesMatrix: on the real engine, a busybox httpd service
// bound by name serves the task instances of a matrix; every instance gets
// the top-level env, its own env winning, and its matrix values; the
// instances, the service and its image are in run.json, the SBOM and the
// signed provenance.
func TestEngineEnvServicesMatrix(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	root := t.TempDir()
	n := nonce(t)
	tk := spec.Task{
		Name:     "probe",
		Env:      map[string]string{"LEVEL": "task"},
		Services: []spec.Binding{{Name: "web"}},
		Matrix:   &spec.Matrix{Axes: []spec.Axis{{Name: "size", Values: []string{"small", "large"}}, {Name: "mode", Values: []string{"a"}}}},
		Sh:       `wget -q -O- http://web:8080/index.html; echo "env $CI $LEVEL $size $mode"; echo "$size" > /o.txt`,
		Outputs:  []spec.Output{{Path: "/o.txt"}},
	}
	s := e.bbSpec(t, root, tk)
	s.Env = map[string]string{"CI": "yes-" + n, "LEVEL": "top"}
	s.Services = map[string]spec.Service{"web": {Name: "web", Image: "bb", Ports: []int{8080},
		Env: map[string]string{"NONCE": n},
		Sh:  `mkdir -p /www && echo "served $NONCE" > /www/index.html && exec httpd -f -p 8080 -h /www`}}
	o := e.options(t, s, root)
	evidenceOptions(t, &o)
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v (record error %q)", err, res.Record.Error)
	}
	r := readRun(t, res.Dir)
	for _, inst := range []struct{ name, size string }{{"probe[size=small,mode=a]", "small"}, {"probe[size=large,mode=a]", "large"}} {
		rt := taskRec(t, r, inst.name)
		if rt.Status != record.StatusSucceeded || rt.MatrixOf != "probe" || len(rt.Matrix) != 2 || rt.Matrix[0].Value != inst.size ||
			len(rt.Services) != 1 || rt.Services[0] != "web" {
			t.Errorf("instance %+v", rt)
		}
		lg := readLog(t, res.Dir, inst.name)
		if !strings.Contains(lg, "served "+n) || !strings.Contains(lg, "env yes-"+n+" task "+inst.size+" a") {
			t.Errorf("%s log %q", inst.name, lg)
		}
		got, err := os.ReadFile(filepath.Join(res.Dir, "outputs", inst.name, "o.txt"))
		if err != nil || strings.TrimSpace(string(got)) != inst.size {
			t.Errorf("%s output %q %v", inst.name, got, err)
		}
	}
	if len(r.Services) != 1 || r.Services[0].Name != "web" || r.Services[0].Digest == "" || len(r.Services[0].Tasks) != 2 ||
		r.Services[0].EnvKeys[0] != "NONCE" {
		t.Errorf("services %+v", r.Services)
	}
	if hits := grepTree(t, res.Dir, "yes-"+n); len(hits) != 2 {
		// The value reaches the two logs (the task echoes it), never the
		// record, SBOM or provenance: env values are not recorded.
		t.Errorf("env value found in %v, want the two logs only", hits)
	}
	bom, err := os.ReadFile(filepath.Join(res.Dir, record.SBOMFile))
	if err != nil || !strings.Contains(string(bom), r.Services[0].Digest) || !strings.Contains(string(bom), "probe[size=large,mode=a]") {
		t.Errorf("SBOM lacks the service image or an instance: %v", err)
	}
	st := statement(t, res.Dir)
	raw, _ := json.Marshal(st)
	for _, want := range []string{strings.TrimPrefix(r.Services[0].Digest, "sha256:"), "logs/probe[size=small,mode=a].log", "outputs/probe[size=large,mode=a]/o.txt"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("provenance lacks %q", want)
		}
	}
}

func hostGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestEnginePushToGitServer: in tier release a task commits on top of the
// checkout in its container and pushes it, from inside the engine, to a
// git server on 127.0.0.1 (smart HTTP with basic auth; reached through
// the operator remote's tunnel) with the operator's credential. The
// server has the commit at the branch; the host checkout is untouched; the
// commit is a git output in run.json, the SBOM and the signed provenance;
// the credential is nowhere in the run directory.
func TestEnginePushToGitServer(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	img := testimage.Git(t)
	n := nonce(t)
	password := "pw-" + n

	// The repository under test: a git checkout with one commit.
	root := t.TempDir()
	hostGit(t, root, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(root, "README"), []byte("hello "+n+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostGit(t, root, "add", "README")
	hostGit(t, root, "commit", "-q", "-m", "one")
	head := hostGit(t, root, "rev-parse", "HEAD")

	// The remote: a bare clone served over smart HTTP with basic auth.
	srv, err := gitserver.StartAuth("127.0.0.1:0", t.TempDir(), "bot", password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if _, err := srv.Publish("app", root); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(srv.Root, "app.git")
	hostGit(t, bare, "config", "http.receivepack", "true")
	remoteURL := "http://" + srv.Addr + "/app.git"

	secretsPath := filepath.Join(t.TempDir(), "secrets.yaml")
	if err := os.WriteFile(secretsPath, []byte(`version: 1
tiers:
  release:
    git-push: {env: TEST_GIT_PUSH_TOKEN}
remotes:
  release:
    - {url: "`+remoteURL+`", credential: git-push, username: bot, tunnel: true}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets, err := spec.LoadSecretsFile(secretsPath)
	if err != nil {
		t.Fatal(err)
	}
	s := e.bbSpec(t, root, spec.Task{
		Name:    "release",
		Image:   img,
		Mounts:  []spec.Mount{{Source: ".", Target: "/src"}},
		Workdir: "/src",
		Sh: `echo "release ` + n + `" > RELEASE && git -c safe.directory='*' add RELEASE && ` +
			`git -c safe.directory='*' -c user.name=ci -c user.email=ci@example.test commit -q -m release`,
		Push: &spec.Push{Remote: remoteURL, Branch: "release-" + n},
	})
	o := e.options(t, s, root)
	o.Tier, o.Secrets = "release", secrets
	o.LookupEnv = func(k string) (string, bool) {
		if k == "TEST_GIT_PUSH_TOKEN" {
			return password, true
		}
		return "", false
	}
	evidenceOptions(t, &o)
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v (record error %q)", err, res.Record.Error)
	}
	r := readRun(t, res.Dir)
	if len(r.Outputs) != 1 || r.Outputs[0].Type != OutputGit {
		t.Fatalf("outputs %+v", r.Outputs)
	}
	out := r.Outputs[0]
	if out.Remote != remoteURL || out.Ref != "refs/heads/release-"+n || len(out.Commit) != 40 || out.Path != "/src" || out.Task != "release" {
		t.Errorf("git output %+v", out)
	}
	// The server has the commit at the branch, on top of the checkout's.
	if got := hostGit(t, bare, "rev-parse", "refs/heads/release-"+n); got != out.Commit {
		t.Errorf("server branch at %s, record says %s", got, out.Commit)
	}
	if parent := hostGit(t, bare, "rev-parse", out.Commit+"^"); parent != head {
		t.Errorf("pushed commit's parent %s, want the checkout's %s", parent, head)
	}
	// The host checkout is untouched.
	if got := hostGit(t, root, "rev-parse", "HEAD"); got != head {
		t.Errorf("host HEAD moved to %s", got)
	}
	if st := hostGit(t, root, "status", "--porcelain", "--untracked-files=no"); st != "" {
		t.Errorf("host checkout changed: %q", st)
	}
	if _, err := os.Stat(filepath.Join(root, "RELEASE")); err == nil {
		t.Error("the container's file reached the host checkout")
	}
	// Evidence: SBOM component and provenance subject with the commit.
	bom, err := os.ReadFile(filepath.Join(res.Dir, record.SBOMFile))
	if err != nil || !strings.Contains(string(bom), out.Commit) || !strings.Contains(string(bom), "output:git-ref") {
		t.Errorf("SBOM lacks the pushed commit: %v", err)
	}
	st := statement(t, res.Dir)
	var git, runJSON bool
	for _, sj := range st["subject"].([]any) {
		m := sj.(map[string]any)
		d := m["digest"].(map[string]any)
		if m["name"] == record.GitName(out) && d["gitCommit"] == out.Commit {
			git = true
		}
		if m["name"] == record.RunFile && d["sha256"] != nil {
			runJSON = true
		}
	}
	if !git || !runJSON {
		t.Errorf("provenance subjects %v: want the git commit and run.json", st["subject"])
	}
	if hits := grepTree(t, res.Dir, password); len(hits) > 0 {
		t.Errorf("credential leaked into %v", hits)
	}
	// The audit report matches the pushed commit to its provenance subject.
	rep, err := report.Build(context.Background(), report.Options{RunsDir: filepath.Dir(res.Dir)})
	if err != nil || len(rep.Runs) != 1 {
		t.Fatalf("report: %v (%d runs)", err, len(rep.Runs))
	}
	rr := rep.Runs[0]
	if !rr.Provenance.SubjectsMatchOutputs {
		t.Errorf("report: the pushed commit does not match a provenance subject: %v", rr.Problems)
	}
	for _, p := range rr.Problems {
		if strings.Contains(p, "subject") {
			t.Errorf("report problem: %s", p)
		}
	}

	// A wrong credential: the server refuses, the task fails, nothing is
	// pushed and no git output is recorded.
	s.Tasks[0].Push = &spec.Push{Remote: remoteURL, Branch: "denied-" + n}
	o.LookupEnv = func(k string) (string, bool) { return "wrong-" + n, k == "TEST_GIT_PUSH_TOKEN" }
	res, err = Run(context.Background(), o)
	if !errors.Is(err, ErrTaskFailed) {
		t.Fatalf("wrong credential: err = %v, want ErrTaskFailed", err)
	}
	if len(res.Record.Outputs) != 0 || res.Record.Tasks[0].Status != record.StatusFailed {
		t.Errorf("wrong credential: record %+v", res.Record)
	}
	if lg := readLog(t, res.Dir, "release"); !strings.Contains(lg, "Authentication failed") {
		t.Errorf("wrong credential: the log does not say the server refused it:\n%s", lg)
	}
	if out, err := exec.Command("git", "-C", bare, "rev-parse", "--verify", "-q", "refs/heads/denied-"+n).CombinedOutput(); err == nil {
		t.Errorf("the server has the branch after a refused push: %s", out)
	}
	if hits := grepTree(t, res.Dir, "wrong-"+n); len(hits) > 0 {
		t.Errorf("credential leaked into %v", hits)
	}
}
