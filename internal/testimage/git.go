package testimage

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pinline/pinline/internal/testenv"
)

// Git is the busybox image with the host's git (and the libraries it
// links) added: for tasks that commit and push from their container. It
// returns the digest-pinned reference on an in-process registry.
func Git(t testing.TB) string {
	t.Helper()
	gitBin := testenv.RequireFile(t, "/usr/bin/git", "git (apt)")
	files := []string{gitBin, "/usr/lib/git-core/git", "/usr/lib/git-core/git-remote-http"}
	out, err := exec.Command("ldd", files...).Output()
	if err != nil {
		t.Fatalf("ldd: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		for _, w := range strings.Fields(l) {
			if strings.HasPrefix(w, "/") && !strings.HasSuffix(w, ":") {
				files = append(files, w)
			}
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			continue
		}
		seen[f] = true
		b, err := os.ReadFile(f) // follows symlinks: the layer holds the file
		if err != nil {
			t.Fatal(err)
		}
		_ = tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(f, "/"), Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(b))})
		_, _ = tw.Write(b)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return Serve(t, appendLayer(t, busyboxImage(t), buf.Bytes(), "/usr/bin:/bin"), "pinline/git")
}
