package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/internal/testimage"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/serve"
)

// TestServeKMSTierKey: the release tier's key is a KMS URI
// (hashivault://, against a fake Vault transit engine on 127.0.0.1 that
// holds the private key). The server signs through it; pinline verify and
// cosign accept the run with the KMS URI and with the exported public key.
// The KMS token reaches no task, response, download or log. A KMS error
// while signing fails the run with nothing signed; an unreachable KMS at
// start stops serve with exit 3 and a message naming the key.
func TestServeKMSTierKey(t *testing.T) {
	eng := needServeEngines(t)
	env := servetest.New(t)
	vault := servetest.StartVault(t, "pinline-release")
	image := testimage.Busybox(t)
	cfg := env.Config(t, eng.cli, servetest.Tier{Name: "release", Rank: 10, BuilderID: svcReleaseBuilder,
		Identity: "spiffe://pinline.test/ci/main/", Engine: eng.release, KMSKey: vault.URI("pinline-release")})
	c, k := env.Client(t, "ci-main", "spiffe://pinline.test/ci/main/app")
	tlsJ := env.TLSConfigFile(t, "release-client", c, k)
	srv := startServe(t, cfg, vault.Env()...)

	nonce := fmt.Sprint(time.Now().UnixNano())
	url, commit := env.Repo(t, "kms", map[string]string{
		// set prints every variable the task sees: the KMS settings must not be among them.
		"pinline.yaml": fmt.Sprintf("version: 1\nname: kms\nimages:\n  bb: %s\ntasks:\n  build:\n    image: bb\n"+
			"    sh: mkdir -p /out && echo kms %s > /out/hello && set\n    outputs:\n      - {path: /out/hello}\n", image, nonce),
	})
	token := servetest.Key{Password: vault.Token}
	client := t.TempDir()
	r := submitProc(t, client, []servetest.Key{token}, "--server", srv.base, "--tls-config", tlsJ, "--repo", url, "--commit", commit)
	if r.code != 0 || !strings.Contains(r.stderr, "signed by the server (tier release") {
		t.Fatalf("submit: exit %d\n%s\n%s\nserver:\n%s", r.code, r.stdout, r.stderr, srv.log())
	}
	if vault.Signs.Load() == 0 {
		t.Fatal("the KMS made no signature")
	}
	id := runIDOf(t, r)
	dir := filepath.Join(client, ".pinline", "runs", id)
	pubFile := filepath.Join(t.TempDir(), "release.pub")
	if err := os.WriteFile(pubFile, vault.PublicPEM(t, "pinline-release"), 0o644); err != nil {
		t.Fatal(err)
	}
	withEnv := func(dir string, extra []string, name string, args ...string) result {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1"}, extra...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		res := result{stdout: out.String(), stderr: errOut.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			res.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, key := range []string{vault.URI("pinline-release"), pubFile} {
		v := withEnv(dir, vault.Env(), bin, "verify", "--key", key, "--attestation", record.ProvenanceFile,
			"--artifact", filepath.Join(record.OutputDir, "hello"), "--builder-id", svcReleaseBuilder)
		if v.code != 0 {
			t.Errorf("pinline verify --key %s: exit %d %s%s", key, v.code, v.stdout, v.stderr)
		}
		if v := withEnv(dir, vault.Env(), bin, "verify", "--key", key, "--attestation", record.ProvenanceFile,
			"--artifact", filepath.Join(record.OutputDir, "hello"), "--builder-id", svcPRBuilder); v.code != 1 {
			t.Errorf("pinline verify --key %s with the wrong builder id: exit %d, want 1", key, v.code)
		}
		cv := withEnv(dir, vault.Env(), eng.cosign, "verify-blob-attestation", "--key", key, "--signature", record.ProvenanceFile,
			"--type", "slsaprovenance1", "--insecure-ignore-tlog", filepath.Join(record.OutputDir, "hello"))
		if cv.code != 0 || !strings.Contains(cv.stdout+cv.stderr, "Verified OK") {
			t.Errorf("cosign --key %s: exit %d %s%s", key, cv.code, cv.stdout, cv.stderr)
		}
	}
	// Another KMS key (same fake, other name) is refused.
	other := servetest.StartVault(t, "pinline-release")
	if v := withEnv(dir, other.Env(), bin, "verify", "--key", other.URI("pinline-release"), "--attestation", record.ProvenanceFile,
		"--artifact", filepath.Join(record.OutputDir, "hello")); v.code != 1 {
		t.Errorf("verify with another KMS's key: exit %d, want 1: %s%s", v.code, v.stdout, v.stderr)
	}
	var rec record.Run
	b, _ := os.ReadFile(filepath.Join(dir, record.RunFile))
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if !rec.Evidence.Signed || rec.Service == nil || rec.Service.SignerKeyID == "" {
		t.Errorf("record evidence %+v service %+v", rec.Evidence, rec.Service)
	}
	noToken := func(what string) {
		t.Helper()
		_ = filepath.Walk(client, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(vault.Token)) || bytes.Contains(b, []byte("VAULT_")) {
					t.Errorf("%s: %s holds the KMS settings", what, p)
				}
			}
			return nil
		})
		audit, _ := os.ReadFile(filepath.Join(env.Dir, "audit.jsonl"))
		for name, text := range map[string]string{"server log": srv.log(), "audit log": string(audit), "submit output": r.stdout + r.stderr} {
			if strings.Contains(text, vault.Token) {
				t.Errorf("%s: %s holds the KMS token", what, name)
			}
		}
	}
	if lg, _ := os.ReadFile(filepath.Join(dir, record.LogDir, "build.log")); !strings.Contains(string(lg), "PATH=") {
		t.Errorf("the task's variables were not logged (the check below would prove nothing):\n%s", lg)
	}
	noToken("signed run")

	// A KMS error while signing: the run fails, nothing is signed or
	// reported as signed.
	vault.FailSign.Store(true)
	signs := vault.Signs.Load()
	client2 := t.TempDir()
	r = submitProc(t, client2, []servetest.Key{token}, "--server", srv.base, "--tls-config", tlsJ, "--repo", url, "--commit", commit)
	if r.code != 3 || strings.Contains(r.stderr, "signed by the server") {
		t.Errorf("submit with a failing KMS: exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	id2 := runIDOf(t, r)
	st, err := f0client(t, env, srv.base).Status(context.Background(), id2)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != serve.StateFailed || st.Signed || st.SignerKeyID != "" || !strings.Contains(st.Error, "provenance") {
		t.Errorf("status with a failing KMS: %+v", st)
	}
	dir2 := filepath.Join(client2, ".pinline", "runs", id2)
	for _, name := range []string{record.ProvenanceFile, record.BundleFile} {
		if _, err := os.Stat(filepath.Join(dir2, name)); err == nil {
			t.Errorf("%s downloaded for a run whose signing failed", name)
		}
	}
	rec = record.Run{}
	b, _ = os.ReadFile(filepath.Join(dir2, record.RunFile))
	if err := json.Unmarshal(b, &rec); err != nil || rec.Status != record.StatusFailed || rec.Evidence.Signed || rec.Evidence.Provenance != "" {
		t.Errorf("record with a failing KMS: %v status %s evidence %+v", err, rec.Status, rec.Evidence)
	}
	if vault.Signs.Load() != signs {
		t.Errorf("the failing KMS signed")
	}
	client = client2
	noToken("failed signing")

	// An unreachable KMS at start: serve refuses to start (exit 3).
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-srv.exited
	vault.Close()
	cmd := exec.Command(bin, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "NO_COLOR=1"}, vault.Env()...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 3 || !strings.Contains(errOut.String(), "hashivault://pinline-release") ||
			!strings.Contains(errOut.String(), "tier \"release\"") || strings.Contains(errOut.String(), "listening") {
			t.Errorf("serve with an unreachable KMS: %v\n%s", err, errOut.String())
		}
		if strings.Contains(errOut.String(), vault.Token) {
			t.Errorf("the start error names the KMS token")
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("serve with an unreachable KMS did not stop:\n%s", errOut.String())
	}
}

// f0client is a Go client of the release client certificate env issued.
func f0client(t *testing.T, env *servetest.Env, base string) *serve.Client {
	t.Helper()
	c, err := serve.NewClient(base, env.ClientTLS(t, filepath.Join(env.Dir, "ci-main.crt"), filepath.Join(env.Dir, "ci-main.key")))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSubmitExitCodes: pinline submit exits with run's codes without an
// engine being involved: a branch instead of a commit is refused by the
// server (exit 2, the reason named), a certificate of no tier is refused
// (exit 1), a run the gate denies (an image without a digest) exits 1,
// a run whose engine is unreachable exits 3; none is reported signed.
func TestSubmitExitCodes(t *testing.T) {
	env := servetest.New(t)
	cfg := env.Config(t, "/nonexistent/dagger",
		servetest.Tier{Name: "release", Rank: 10, BuilderID: svcReleaseBuilder, Identity: "spiffe://pinline.test/ci/main/", Engine: "/nonexistent/release.sock"})
	srv := startServe(t, cfg)
	c, k := env.Client(t, "ci-main", "spiffe://pinline.test/ci/main/app")
	tlsJ := env.TLSConfigFile(t, "release-client", c, k)
	c, k = env.Client(t, "stranger", "spiffe://elsewhere.test/x")
	strangerJ := env.TLSConfigFile(t, "stranger-client", c, k)
	url, commit := env.Repo(t, "codes", map[string]string{
		"pinline.yaml": "version: 1\nname: codes\nimages:\n  bb: 127.0.0.1:1/pinline/none@sha256:" + strings.Repeat("0", 64) +
			"\ntasks:\n  build:\n    image: bb\n    run: [\"true\"]\n",
		"unpinned.yaml": "version: 1\nname: codes\nimages:\n  bb: 127.0.0.1:1/pinline/none:latest\ntasks:\n  build:\n    image: bb\n    run: [\"true\"]\n",
	})
	for _, tc := range []struct {
		name, tls, commit, spec string
		code                    int
		want                    string
	}{
		{"branch", tlsJ, "main", "pinline.yaml", 2, "not-a-commit"},
		{"no tier", strangerJ, commit, "pinline.yaml", 1, "identity"},
		{"denied", tlsJ, commit, "unpinned.yaml", 1, "denied"},
		{"no engine", tlsJ, commit, "pinline.yaml", 3, "failed"},
	} {
		r := pinline(t, t.TempDir(), "submit", "--server", srv.base, "--tls-config", tc.tls, "--repo", url, "--commit", tc.commit, "-f", tc.spec)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "signed by the server") {
			t.Errorf("%s: exit %d (want %d), stderr:\n%s", tc.name, r.code, tc.code, r.stderr)
		}
	}
}
