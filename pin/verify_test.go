package pin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestVerify pins a repository, then changes the world under it: a tag is
// rewritten to an unrelated commit (attack), a branch moves forward
// (normal), a floating tag moves forward, an image tag is pushed again
// with another image, and a tag is deleted. Verify must tell each apart.
func TestVerify(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	repo := filepath.Join(e.gitRoot, "acme/tools")
	dir := t.TempDir()
	spec := "images:\n  a: " + e.host + "/lib/alpine:3.20\n  g: " + e.host + "/lib/golang:1.22\n  d: " + e.host + "/lib/tools@sha256:ff1af8b4cea6394311c8e485c9ba8ca52facc842775d47bc0e2f452357832ff4\n"
	dj := `{
  "name": "v",
  "dependencies": [
    {"name": "rel", "source": "github.com/acme/tools@v1.0.0"},
    {"name": "float", "source": "github.com/acme/tools@v1"},
    {"name": "br", "source": "github.com/acme/tools@main"},
    {"name": "dev", "source": "github.com/acme/tools@dev"},
    {"name": "gone", "source": "github.com/acme/tools@v2"},
    {"name": "sha", "source": "github.com/acme/tools@1111111111111111111111111111111111111111", "pin": "2222222222222222222222222222222222222222"}
  ]
}
`
	lock := `[["version","2"]]
["","git-sha",["github.com/acme/tools","refs/heads/dev"],"1111111111111111111111111111111111111111"]
["","oci-sha",["` + e.host + `/lib/golang:1.22"],"sha256:49cc5f6a00b8a953db01fc2e15b0981be8615838d3ae284abaadec9cb3cf9832"]
`
	for name, content := range map[string]string{"pinline.yaml": spec, "dagger.json": dj, "dagger.lock": lock} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.gitc(t, repo, "tag", "v2")
	if _, err := Run(t.Context(), e.options(dir)); err != nil {
		t.Fatal(err)
	}

	o := e.options(dir)
	o.Verify = true
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Status != StatusOK && f.Status != StatusSkipped && f.Status != StatusInconsisent && f.Pos.File != "dagger.lock" {
			t.Errorf("fresh pins: %s %s", f.Ref, f.Status)
		}
	}

	// Change the world.
	e.commit(t, repo, "three") // main advances
	e.gitc(t, repo, "tag", "-f", "v1")
	e.gitc(t, repo, "checkout", "-q", "--orphan", "evil")
	e.commit(t, repo, "evil")
	e.gitc(t, repo, "tag", "-f", "-a", "-m", "re-release", "v1.0.0")
	e.gitc(t, repo, "branch", "-f", "dev", "evil")
	e.gitc(t, repo, "tag", "-d", "v2")
	e.pushIndex(t, "lib/alpine:3.20", randomImage(t))

	rep, err = Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.Ref] = f.Status
	}
	want := map[string]string{
		e.host + "/lib/alpine:3.20@sha256:c13a61a40342f645950df8630442508ee8872e534263cce9b5ab1fa21a55245a": StatusTagMoved,
		e.host + "/lib/golang:1.22@sha256:49cc5f6a00b8a953db01fc2e15b0981be8615838d3ae284abaadec9cb3cf9832": StatusOK,
		e.host + "/lib/tools@sha256:ff1af8b4cea6394311c8e485c9ba8ca52facc842775d47bc0e2f452357832ff4":       StatusSkipped,
		"github.com/acme/tools@v1.0.0":                                   StatusRewritten,
		"github.com/acme/tools@v1":                                       StatusAdvanced,
		"github.com/acme/tools@main":                                     StatusAdvanced,
		"github.com/acme/tools@dev":                                      StatusRewritten,
		"github.com/acme/tools@v2":                                       StatusMissing,
		"github.com/acme/tools@1111111111111111111111111111111111111111": StatusInconsisent,
		// dagger.lock: a git-sha that is not in the branch's history, and
		// an oci-sha that still matches.
		"github.com/acme/tools@refs/heads/dev": StatusRewritten,
		e.host + "/lib/golang:1.22":            StatusOK,
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("verify statuses (-want +got):\n%s", diff)
	}
	if !rep.Failed() {
		t.Error("Failed() = false with rewritten tags")
	}
	if len(rep.Changes) != 0 || rep.Written {
		t.Error("verify wrote something")
	}
}

// TestVerifyReleaseTagOnTop re-points release tags to a commit that has
// the pinned commit in its history (what a hijacked release tag usually
// gets: a malicious commit on top). A release tag is immutable, so that is
// rewritten (exit 1); a floating tag moved the same way advanced.
func TestVerifyReleaseTagOnTop(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	repo := filepath.Join(e.gitRoot, "acme/tools")
	e.gitc(t, repo, "tag", "v1.2.3-rc.1+build.5")
	e.gitc(t, repo, "tag", "sdk/go/v0.9.0")
	dir := t.TempDir()
	dj := `{"name": "v", "dependencies": [
  {"name": "rel", "source": "github.com/acme/tools@v1.0.0"},
  {"name": "pre", "source": "github.com/acme/tools@v1.2.3-rc.1+build.5"},
  {"name": "mono", "source": "github.com/acme/tools@sdk/go/v0.9.0"},
  {"name": "float", "source": "github.com/acme/tools@v1"}
]}
`
	if err := os.WriteFile(filepath.Join(dir, "dagger.json"), []byte(dj), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(t.Context(), e.options(dir)); err != nil {
		t.Fatal(err)
	}
	e.commit(t, repo, "on top")
	for _, tag := range []string{"v1.0.0", "v1.2.3-rc.1+build.5", "sdk/go/v0.9.0", "v1"} {
		e.gitc(t, repo, "tag", "-f", tag)
	}
	o := e.options(dir)
	o.Verify = true
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.Ref] = f.Status
	}
	want := map[string]string{
		"github.com/acme/tools@v1.0.0":              StatusRewritten,
		"github.com/acme/tools@v1.2.3-rc.1+build.5": StatusRewritten,
		"github.com/acme/tools@sdk/go/v0.9.0":       StatusRewritten,
		"github.com/acme/tools@v1":                  StatusAdvanced,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verify statuses (-want +got):\n%s", diff)
	}
	if !rep.Failed() {
		t.Error("Failed() = false with a moved release tag")
	}
}

func TestIsReleaseTag(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]bool{
		"v1.2.3": true, "1.2.3": true, "v1.2.3-rc.1": true, "1.2.3+build.7": true, "v0.19.10-beta.2+meta": true,
		"sdk/go/v0.9.0": true, "k3s/v0.11.1": true,
		"v1": false, "v1.2": false, "latest": false, "main": false, "^1.2": false, "~1.2.3": false,
		">=1.0.0": false, "1.x": false, "v1.2.3.4": false, "": false,
	} {
		if got := IsReleaseTag(tag); got != want {
			t.Errorf("IsReleaseTag(%q) = %v, want %v", tag, got, want)
		}
	}
}
