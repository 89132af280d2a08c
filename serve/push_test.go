package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/gitserver"
	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/internal/testimage"
	"github.com/pinline/pinline/record"
)

// TestServePushFromContainer: a submitted run whose task commits in its
// container and pushes the branch and a tag to an operator-listed remote (a
// git smart-HTTP server with basic auth on 127.0.0.1, reached through the
// remote's tunnel) with the operator's credential from the tier's secrets
// file. The server has the commits; the pushed commits are git outputs of
// the record and subjects of the signed provenance; the credential is in no
// downloaded file and no streamed event. A task pushing to a remote outside
// the tier's list is denied before anything runs, and nothing is pushed.
func TestServePushFromContainer(t *testing.T) {
	vals := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	env := servetest.New(t)
	img := testimage.Git(t)
	n := fmt.Sprint(time.Now().UnixNano())
	password := "push-pw-" + n

	push, err := gitserver.StartAuth("127.0.0.1:0", t.TempDir(), "bot", password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = push.Close() })
	remote := "http://" + push.Addr + "/app.git"
	spec := specYAML(img, `  release:
    image: bb
    mounts: [{source: ., target: /src}]
    workdir: /src
    sh: echo "release `+n+`" > RELEASE && git -c safe.directory='*' add RELEASE && git -c safe.directory='*' -c user.name=ci -c user.email=ci@example.test commit -q -m release
    push: {remote: "`+remote+`", branch: "release-`+n+`"}
  tag:
    image: bb
    mounts: [{source: ., target: /src}]
    workdir: /src
    sh: echo tagging `+n+`
    push: {remote: "`+remote+`", tag: "v-`+n+`"}
`)
	// The gate decides on the whole spec: the unlisted remote is in a
	// commit of its own.
	rogueURL, rogueCommit := env.Repo(t, "rogue", map[string]string{"pinline.yaml": specYAML(img, `  rogue:
    image: bb
    mounts: [{source: ., target: /src}]
    workdir: /src
    sh: echo rogue `+n+`
    push: {remote: "http://`+push.Addr+`/other.git", branch: "rogue-`+n+`"}
`)})
	url, commit := env.Repo(t, "app", map[string]string{"pinline.yaml": spec})
	// The remote holds the same history (the push adds on top of it).
	if _, err := push.Publish("app", env.WorkDir("app")); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(push.Root, "app.git")
	gitIn(t, bare, "config", "http.receivepack", "true")

	secrets := filepath.Join(t.TempDir(), "secrets.yaml")
	if err := os.WriteFile(secrets, []byte(`version: 1
tiers:
  release:
    git-push: {env: TEST_GIT_PUSH_TOKEN}
remotes:
  release:
    - {url: "`+remote+`", credential: git-push, username: bot, tunnel: true}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := env.Config(t, vals["PINLINE_GW_DAGGER_CLI"],
		servetest.Tier{Name: "release", Rank: 10, BuilderID: releaseBuilder, Identity: "spiffe://pinline.test/ci/main/", Engine: vals["PINLINE_GW_TRUSTED_SOCK"], Secrets: secrets},
		servetest.Tier{Name: "pr", Rank: 1, BuilderID: prBuilder, Identity: "spiffe://pinline.test/ci/pr/", Engine: vals["PINLINE_GW_UNTRUSTED_SOCK"]})
	ts := launch(t, env, cfgPath, Options{LookupEnv: func(k string) (string, bool) { return password, k == "TEST_GIT_PUSH_TOKEN" }})
	ctx := context.Background()

	st, err := ts.release.Submit(ctx, &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml", Tasks: []string{"release", "tag"}})
	if err != nil {
		t.Fatal(err)
	}
	var streamed strings.Builder
	fin, err := ts.release.Events(ctx, st.ID, func(e Event) {
		b, _ := json.Marshal(e)
		streamed.Write(b)
	})
	if err != nil || fin.State != StateSucceeded || !fin.Signed {
		t.Fatalf("push run: %+v %v\n%s", fin, err, streamed.String())
	}
	dir, err := ts.release.Download(ctx, st.ID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]record.Output{}
	for _, o := range rec.Outputs {
		if o.Type == "git" {
			got[o.Task] = o
		}
	}
	rel, tag := got["release"], got["tag"]
	if rel.Ref != "refs/heads/release-"+n || rel.Remote != remote || len(rel.Commit) != 40 ||
		tag.Ref != "refs/tags/v-"+n || tag.Commit != commit {
		t.Fatalf("git outputs %+v", rec.Outputs)
	}
	if head := gitIn(t, bare, "rev-parse", rel.Ref); head != rel.Commit {
		t.Errorf("the remote's branch is at %s, the record says %s", head, rel.Commit)
	}
	if parent := gitIn(t, bare, "rev-parse", rel.Commit+"^"); parent != commit {
		t.Errorf("the pushed commit's parent is %s, want the submitted %s", parent, commit)
	}
	if c := gitIn(t, bare, "rev-parse", tag.Ref+"^{commit}"); c != commit {
		t.Errorf("the remote's tag is at %s, want %s", c, commit)
	}
	// The signed provenance names both commits as git subjects.
	b, err := os.ReadFile(filepath.Join(dir, record.ProvenanceFile))
	if err != nil {
		t.Fatal(err)
	}
	var envl struct {
		Payload []byte `json:"payload"`
	}
	var stmt struct {
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(b, &envl); err != nil || json.Unmarshal(envl.Payload, &stmt) != nil {
		t.Fatalf("provenance: %v", err)
	}
	subjects := map[string]string{}
	for _, s := range stmt.Subject {
		subjects[s.Name] = s.Digest["gitCommit"]
	}
	for _, o := range []record.Output{rel, tag} {
		if subjects[record.GitName(o)] != o.Commit {
			t.Errorf("provenance subjects %v lack %s at %s", subjects, record.GitName(o), o.Commit)
		}
	}
	if !ts.srv.verifies(ts.srv.tiers["release"], filepath.Join(runsDir(ts.cfg.Store), st.ID), rec) {
		t.Error("the provenance does not verify with the tier's key")
	}
	if strings.Contains(streamed.String(), password) {
		t.Error("the credential reached the event stream")
	}
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), password) {
				t.Errorf("%s holds the credential", p)
			}
		}
		return nil
	})

	// A remote outside the tier's list: denied by the gate, nothing runs.
	st, err = ts.release.Submit(ctx, &SubmitRequest{Repository: rogueURL, Commit: rogueCommit, Spec: "pinline.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	var ran bool
	fin, err = ts.release.Events(ctx, st.ID, func(e Event) { ran = ran || e.Type == "task" })
	if err != nil || fin.State != StateDenied || fin.Signed || fin.ExitCode != 1 || ran {
		t.Errorf("push to an unlisted remote: %+v %v (a task ran: %v)", fin, err, ran)
	}
	if dir, err = ts.release.Download(ctx, st.ID, t.TempDir()); err == nil {
		if d, _ := os.ReadFile(filepath.Join(dir, record.DecisionFile)); !strings.Contains(string(d), "PL016") {
			t.Errorf("the decision does not name PL016:\n%s", d)
		}
	} else {
		t.Error(err)
	}
	if out, err := exec.Command("git", "-C", bare, "for-each-ref", "--format=%(refname)", "refs/heads/rogue-"+n).Output(); err != nil || len(out) > 0 {
		t.Errorf("the remote has the rogue branch: %s %v", out, err)
	}
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}
