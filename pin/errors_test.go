package pin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type failingImages struct{}

func (failingImages) Digest(context.Context, string) (string, error) {
	return "", errors.New("offline: must not resolve")
}

// TestNetworkErrorsWriteNothing: a registry that is down fails the run with
// a NetworkError naming the reference and host, after the git pins of
// another file were resolved; no file is written.
func TestNetworkErrorsWriteNothing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir := e.copyCase(t, "spec")
	djson := e.copyCase(t, "daggerjson")
	if err := os.Rename(filepath.Join(djson, "dagger.json"), filepath.Join(dir, "dagger.json")); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir, e.host)
	e.srv.Close()
	_, err := Run(t.Context(), e.options(dir))
	var ne *NetworkError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want NetworkError", err)
	}
	if ne.Host != e.host || !strings.Contains(ne.Ref, e.host+"/lib/") {
		t.Errorf("NetworkError names ref %q host %q", ne.Ref, ne.Host)
	}
	if diff := cmp.Diff(before, readTree(t, dir, e.host)); diff != "" {
		t.Errorf("files written despite the failure:\n%s", diff)
	}
	for _, n := range []string{"dagger.json", "pinline.yaml"} {
		matches, _ := filepath.Glob(filepath.Join(dir, "."+n+".pinline-*"))
		if len(matches) != 0 {
			t.Errorf("temporary files left: %v", matches)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	tests := []struct {
		name, file, content string
		check               func(error) bool
		want                string
	}{
		{"missing repository", "dagger.json", `{"name":"x","dependencies":[{"name":"y","source":"github.com/acme/nope@v1"}]}`,
			func(err error) bool {
				var ne *NetworkError
				return errors.As(err, &ne) && ne.Host == "github.com" && ne.Ref == "github.com/acme/nope@v1"
			}, "dagger.json:1:"},
		{"missing tag", "dagger.json", `{"name":"x","dependencies":[{"name":"y","source":"github.com/acme/tools@v9"}]}`,
			func(err error) bool { var ie *InputError; return errors.As(err, &ie) && errors.Is(err, ErrNotFound) }, "dagger.json:1:"},
		{"missing image tag", "pinline.yaml", "images:\n  a: " + e.host + "/lib/alpine:9.99\n",
			func(err error) bool { return errors.Is(err, ErrNotFound) }, "pinline.yaml:2:6"},
		{"malformed dagger.json", "dagger.json", `{"name": "x", "dependencies": [}`,
			func(err error) bool { var ie *InputError; return errors.As(err, &ie) }, "invalid JSON"},
		{"dagger.json not an object", "dagger.json", `["x"]`, // check's error, at its position
			func(err error) bool { var ie *InputError; return errors.As(err, &ie) }, "dagger.json:1:1: dagger.json must be a JSON object"},
		{"malformed lock", "dagger.lock", "[[\"version\",\"2\"]]\n[\"\",\"oci-sha\",[\"a:b\"]]\n",
			func(err error) bool { var ie *InputError; return errors.As(err, &ie) }, "dagger.lock:2:1"},
		{"malformed spec", "pinline.yaml", "images: [a\n",
			func(err error) bool { var ie *InputError; return errors.As(err, &ie) }, "pinline.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := filepath.Join(dir, tt.file)
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Run(t.Context(), e.options(dir))
			if err == nil || !tt.check(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (%T), want one naming %q", err, err, tt.want)
			}
			got, _ := os.ReadFile(p)
			if string(got) != tt.content {
				t.Error("file changed")
			}
		})
	}
}
