package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pinline/pinline/record"
)

const regUser, regPass = "ci-pusher", "s3cret-registry-password-7f3a"

// basicAuth requires the test credentials on every request.
func basicAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != regUser || p != regPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="pinline-test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// dockerConfig writes an operator docker config.json for host.
func dockerConfig(t *testing.T, dir, host string) string {
	t.Helper()
	p := filepath.Join(dir, "docker-config.json")
	auth := base64.StdEncoding.EncodeToString([]byte(regUser + ":" + regPass))
	write(t, p, fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth))
	return p
}

func pushWithAuth(t *testing.T, ref string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, remote.WithAuth(&authn.Basic{Username: regUser, Password: regPass})); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return tag.Context().String() + "@" + d.String()
}

// attest --image and verify --image take registry credentials from the
// operator's docker config (--registry-config or $DOCKER_CONFIG), and
// without them fail (exit 3), never anonymously pass.
func TestImageRegistryCredentials(t *testing.T) {
	t.Parallel()
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	host := inProcessRegistry(t, true, basicAuth)
	img := pushWithAuth(t, host+"/team/app:v1")
	cfg := dockerConfig(t, dir, host)
	attest := []string{"attest", "--image", img, "--predicate", p("pred.json"), "--type", "slsaprovenance1", "--key", p("pl.key")}
	if code, _, e := runCLIEnv(t, pw, attest...); code != ExitOperational {
		t.Fatalf("attest without credentials: %d %s", code, e)
	}
	if code, _, e := runCLIEnv(t, pw, append(attest, "--registry-config", cfg)...); code != 0 {
		t.Fatalf("attest --registry-config: %d %s", code, e)
	}
	if code, out, _ := runCLI(t, "verify", "--key", p("pl.pub"), "--image", img); code != ExitOperational {
		t.Fatalf("verify without credentials: %d %s", code, out)
	}
	env := map[string]string{"DOCKER_CONFIG": dir}
	if err := os.Rename(cfg, filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	if code, out, e := runCLIEnv(t, env, "verify", "--key", p("pl.pub"), "--image", img); code != 0 {
		t.Fatalf("verify with $DOCKER_CONFIG: %d\n%s%s", code, out, e)
	}
	if code, _, e := runCLI(t, "verify", "--key", p("pl.pub"), "--image", img, "--registry-config", p("missing.json")); code != ExitUsage {
		t.Fatalf("missing --registry-config: %d %s", code, e)
	}
}

// The engine pushes with the operator's credentials; they never reach the
// run record, logs or terminal output. Without them the run fails.
func TestRunPublishesWithOperatorCredentials(t *testing.T) {
	t.Parallel()
	sock, cli, bb := needEngine(t)
	host := inProcessRegistry(t, true, basicAuth)
	n := fmt.Sprint(time.Now().UnixNano())
	spec, eng := writeRepo(t, `version: 1
name: images-auth
images:
  bb: `+bb+`
tasks:
  build:
    image: bb
    env: {N: "`+n+`"}
    sh: 'echo "$N" > /n.txt'
    outputs:
      - {type: image, ref: "`+host+`/team/auth-`+n+`:v1"}
`, sock)
	dir := filepath.Dir(spec)
	env := map[string]string{"PINLINE_DAGGER_CLI": cli}
	if code, out, e := runCLICtx(context.Background(), env, "run", "-f", spec, "--engine-config", eng); code == 0 {
		t.Fatalf("run without credentials succeeded\n%s%s", out, e)
	}
	cfg := dockerConfig(t, t.TempDir(), host)
	code, out, e := runCLICtx(context.Background(), env, "run", "-f", spec, "--engine-config", eng, "--registry-config", cfg)
	if code != 0 {
		t.Fatalf("run with credentials: %d\n%s%s", code, out, e)
	}
	if strings.Contains(out+e, regPass) {
		t.Errorf("registry password on the terminal")
	}
	runs, _ := filepath.Glob(filepath.Join(dir, ".pinline", "runs", "*"))
	var published bool
	for _, r := range runs {
		_ = filepath.WalkDir(r, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), regPass) {
					t.Errorf("registry password in %s", p)
				}
			}
			return nil
		})
		if rec, err := record.ReadRun(r); err == nil && len(rec.Published) == 1 && rec.Status == record.StatusSucceeded {
			published = true
		}
	}
	if !published {
		t.Errorf("no succeeded run published the image: %v", runs)
	}
}
