package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinline/pinline/attest"
)

var fixtureRuns = filepath.Join("..", "..", "..", "report", "testdata", "runs")

// keyFiles writes a cosign encrypted private key and its public key.
func keyFiles(t *testing.T, pass string) (priv, pub string) {
	t.Helper()
	privPEM, pubPEM, err := attest.GenerateKeyPair(t.Context(), func() ([]byte, error) { return []byte(pass), nil }, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	priv, pub = filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	os.WriteFile(priv, privPEM, 0o600)
	os.WriteFile(pub, pubPEM, 0o644)
	return priv, pub
}

func TestReportCommand(t *testing.T) {
	t.Parallel()
	fixturePub := filepath.Join("..", "..", "..", "report", "testdata", "keys", "fixture.pub")
	code, out, errOut := runCLIEnv(t, nil, "report", "--runs", fixtureRuns, "--format", "json", "--key", fixturePub, "--since", "2026-11-03")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Summary struct{ Runs int } `json:"summary"`
		Runs    []struct {
			ID         string
			Provenance struct{ Verdict string } `json:"provenance"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Runs != 4 {
		t.Errorf("--since: %d runs, want 4", rep.Summary.Runs)
	}
	verdicts := map[string]string{}
	for _, r := range rep.Runs {
		verdicts[r.ID] = r.Provenance.Verdict
	}
	if verdicts["20261105T090000Z-d4e5f6"] != "invalid" || verdicts["20261106T090000Z-e5f6a7"] != "unsigned" {
		t.Errorf("verdicts through attest verifiers = %v", verdicts)
	}
	if _, out, _ := runCLIEnv(t, nil, "report", "--runs", fixtureRuns, "--format", "md", "--key", fixturePub); !strings.Contains(out, "| [20261102T090000Z-a1b2c3](#run-20261102t090000z-a1b2c3) | 2026-11-02 09:00:00Z | succeeded | trusted | allow (0 violations, 1 waived) | verified |") {
		t.Errorf("signed fixture run not verified through attest:\n%s", out)
	}
	if !strings.Contains(errOut, "20261107T090000Z-f6a7b8") {
		t.Errorf("corrupt run not reported on stderr: %q", errOut)
	}

	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report", "--runs", fixtureRuns, "--format", "pdf"}, ExitUsage, `"pdf"`},
		{[]string{"report", "--runs", fixtureRuns, "--since", "yesterday"}, ExitUsage, "--since"},
		{[]string{"report", "--runs", filepath.Join(t.TempDir(), "none")}, ExitUsage, "runs directory not found"},
		{[]string{"report", "--runs", fixtureRuns, "--key", "/nonexistent.pub"}, ExitUsage, "--key"},
		{[]string{"report", "--runs", fixtureRuns, "--pack", filepath.Join(t.TempDir(), "p.tgz")}, ExitUsage, "--sign-key"},
	} {
		code, _, errOut := runCLIEnv(t, nil, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: exit %d (%q), want %d containing %q", tt.args, code, errOut, tt.code, tt.msg)
		}
	}
}

func TestReportPackAndVerify(t *testing.T) {
	t.Parallel()
	priv, pub := keyFiles(t, "s3cret")
	_, otherPub := keyFiles(t, "x")
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	// Only the run whose provenance verifies with the fixture key, plus the
	// denied one (no provenance).
	for _, id := range []string{"20261102T090000Z-a1b2c3", "20261104T090000Z-c3d4e5"} {
		if err := os.CopyFS(filepath.Join(runs, id), os.DirFS(filepath.Join(fixtureRuns, id))); err != nil {
			t.Fatal(err)
		}
	}
	fixturePub := filepath.Join("..", "..", "..", "report", "testdata", "keys", "fixture.pub")
	pack, html := filepath.Join(dir, "evidence.tar.gz"), filepath.Join(dir, "r.html")
	env := map[string]string{"COSIGN_PASSWORD": "s3cret"}
	if code, _, e := runCLIEnv(t, map[string]string{"COSIGN_PASSWORD": "wrong"}, "report", "--runs", runs, "--pack", pack, "--sign-key", priv); code != ExitUsage || !strings.Contains(e, "COSIGN_PASSWORD") {
		t.Errorf("wrong password: exit %d %q", code, e)
	}
	if code, _, e := runCLIEnv(t, env, "report", "--runs", runs, "-o", html, "--pack", pack, "--sign-key", priv, "--key", fixturePub); code != 0 {
		t.Fatalf("report --pack: exit %d: %s", code, e)
	}
	if b, _ := os.ReadFile(html); !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) {
		t.Errorf("-o r.html is not HTML: %.40q", b)
	}
	s := &streams{out: &bytes.Buffer{}, errOut: &bytes.Buffer{}, env: func(string) (string, bool) { return "", false }}
	if err := runVerifyPack(t.Context(), s, pack, []string{pub}, []string{fixturePub}); err != nil {
		t.Fatalf("verify pack: %v (%s)", err, s.errOut)
	}
	err := runVerifyPack(t.Context(), s, pack, []string{otherPub}, []string{fixturePub})
	if code, _ := exitCode(err); code != ExitDenied || !strings.Contains(s.errOut.(*bytes.Buffer).String(), "manifest.intoto.json") {
		t.Errorf("wrong key: exit %d, err %v, stderr %q", code, err, s.errOut)
	}
	if code, _ := exitCode(runVerifyPack(t.Context(), s, filepath.Join(dir, "missing.tgz"), []string{pub}, []string{fixturePub})); code != ExitUsage {
		t.Errorf("missing pack: exit %d, want 2", code)
	}
	// The same through the command line.
	if code, out, e := runCLI(t, "verify", "--pack", pack, "--pack-key", pub, "--key", fixturePub); code != 0 || !strings.Contains(out, "Verified evidence pack") {
		t.Errorf("verify --pack: exit %d, stdout %q, stderr %q", code, out, e)
	}
	if code, out, e := runCLI(t, "verify", "--pack", pack, "--pack-key", otherPub, "--key", fixturePub); code != ExitDenied || strings.Contains(out, "Verified") || !strings.Contains(e, "manifest.intoto.json") {
		t.Errorf("verify --pack with the wrong key: exit %d, stdout %q, stderr %q", code, out, e)
	}
	// Key roles. The manifest key is never taken from --key: a pack key
	// given only as --key (the old, shared role) is refused as usage, and
	// the same key in both roles too (by file and by public key).
	copyPub := filepath.Join(t.TempDir(), "copy.pub")
	if b, err := os.ReadFile(pub); err != nil || os.WriteFile(copyPub, b, 0o644) != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--key", fixturePub, "--key", pub},
		{"--pack-key", pub},
		{"--pack-key", pub, "--key", fixturePub, "--key", pub},
		{"--pack-key", copyPub, "--key", fixturePub, "--key", pub},
	} {
		if code, out, e := runCLI(t, append([]string{"verify", "--pack", pack}, args...)...); code != ExitUsage || strings.Contains(out, "Verified") {
			t.Errorf("verify --pack %q: exit %d, stdout %q, stderr %q; want 2", args, code, out, e)
		}
	}
	// A pack whose manifest a build key signed is refused, whatever the
	// runs: here the build keys are the fixture key and otherPub's.
	otherPriv := strings.TrimSuffix(otherPub, ".pub") + ".key"
	forged := filepath.Join(dir, "forged.tar.gz")
	if code, _, e := runCLIEnv(t, map[string]string{"COSIGN_PASSWORD": "x"}, "report", "--runs", runs, "--pack", forged, "--sign-key", otherPriv); code != 0 {
		t.Fatalf("report --pack with a build key: exit %d: %s", code, e)
	}
	if code, out, e := runCLI(t, "verify", "--pack", forged, "--pack-key", pub, "--key", fixturePub, "--key", otherPub); code != ExitDenied || strings.Contains(out, "Verified") || !strings.Contains(e, "manifest.intoto.json: signature") {
		t.Errorf("pack signed with a build key: exit %d, stdout %q, stderr %q; want 1 on the manifest", code, out, e)
	}
}

func TestReportProgress(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := progress(&buf)
	for i := 1; i <= 1000; i++ {
		p(i, 1000)
	}
	if got := buf.String(); got != "reading runs 500/1000\nreading runs 1000/1000\n" {
		t.Errorf("progress = %q", got)
	}
	buf.Reset()
	for i := 1; i <= 10; i++ {
		progress(&buf)(i, 10)
	}
	if buf.Len() != 0 {
		t.Errorf("progress for 10 runs = %q, want silence", buf.String())
	}
}
