package pin

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testEnv is a registry on 127.0.0.1 and git repositories served over
// file://, reached as https://github.com/... through a Rewrite.
type testEnv struct {
	host    string // 127.0.0.1:port
	srv     *httptest.Server
	gitRoot string
	reg     *Registry
	git     *Git
}

// gitEnv makes commits and tags reproducible: same trees, same people,
// same dates give the same commit ids in every run.
var gitEnv = []string{
	"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	"GIT_AUTHOR_NAME=pinline", "GIT_AUTHOR_EMAIL=pinline@example.invalid",
	"GIT_COMMITTER_NAME=pinline", "GIT_COMMITTER_EMAIL=pinline@example.invalid",
	"GIT_AUTHOR_DATE=2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2025-01-01T00:00:00Z",
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	e := &testEnv{host: strings.TrimPrefix(srv.URL, "http://"), srv: srv, gitRoot: t.TempDir(), reg: &Registry{}}
	e.pushImage(t, "lib/golang:1.22", fixedImage(t, "golang 1.22"))
	e.pushIndex(t, "lib/alpine:3.20", fixedImage(t, "alpine 3.20"))
	e.pushImage(t, "lib/tools:latest", fixedImage(t, "tools latest"))
	e.git = &Git{Env: gitEnv, Rewrites: []Rewrite{{From: "https://github.com/", To: "file://" + e.gitRoot + "/"}}}
	repo := e.repo(t, "acme/tools")
	e.commit(t, repo, "one")
	e.gitc(t, repo, "tag", "-a", "-m", "release", "v1.0.0")
	e.gitc(t, repo, "tag", "v1")
	e.gitc(t, repo, "branch", "dev")
	e.commit(t, repo, "two")
	return e
}

// fixedImage is an image with one layer holding content: the same content
// gives the same digest, so golden files can hold real digests.
func fixedImage(t *testing.T, content string) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer([]byte(content), types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func (e *testEnv) pushImage(t *testing.T, ref string, img v1.Image) string {
	t.Helper()
	r, err := name.ParseReference(e.host + "/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d.String()
}

func (e *testEnv) pushIndex(t *testing.T, ref string, img v1.Image) string {
	t.Helper()
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})
	r, err := name.ParseReference(e.host + "/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	return d.String()
}

func (e *testEnv) repo(t *testing.T, path string) string {
	t.Helper()
	dir := filepath.Join(e.gitRoot, path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.gitc(t, dir, "init", "-q", "-b", "main")
	return dir
}

func (e *testEnv) commit(t *testing.T, dir, content string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "file.txt"), []byte(content+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.gitc(t, dir, "add", "file.txt")
	e.gitc(t, dir, "commit", "-q", "-m", content)
	return e.gitc(t, dir, "rev-parse", "HEAD")
}

func (e *testEnv) gitc(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// options are Run options against the test environment.
func (e *testEnv) options(root string) Options {
	return Options{Root: root, Images: e.reg, Git: e.git}
}

// copyCase copies testdata/pin/<name> to a temporary directory, writing
// the test registry's host where the fixtures say REGISTRY.
func (e *testEnv) copyCase(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", "pin", name)
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, []byte(strings.ReplaceAll(string(data), "REGISTRY", e.host)), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

var _ = context.Background
