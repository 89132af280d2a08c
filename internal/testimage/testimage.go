// Package testimage builds small container images for tests that need a
// real engine and serves them from an in-process OCI registry on loopback
// (no external registry is reachable).
package testimage

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/pinline/pinline/internal/testenv"
)

// Busybox pushes a one-layer busybox image to an in-process registry
// on loopback and returns its digest-pinned reference.
func Busybox(t testing.TB) string {
	t.Helper()
	return Serve(t, busyboxImage(t), "pinline/busybox")
}

// busyboxImage is the one-layer busybox image.
func busyboxImage(t testing.TB) v1.Image {
	t.Helper()
	bb, err := os.ReadFile(testenv.RequireFile(t, "/bin/busybox", "hack/engine.sh (busybox-static)"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mt := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	_ = tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mt})
	_ = tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bb)), ModTime: mt})
	_, _ = tw.Write(bb)
	for _, a := range []string{"sh", "echo"} {
		_ = tw.WriteHeader(&tar.Header{Name: "bin/" + a, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777, ModTime: mt})
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return appendLayer(t, empty.Image, buf.Bytes(), "/bin")
}

// appendLayer returns base with one layer of the tar archive tarBytes on
// top, for linux on this machine's architecture, with PATH set to path.
func appendLayer(t testing.TB, base v1.Image, tarBytes []byte, path string) v1.Image {
	t.Helper()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tarBytes)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Env = []string{"PATH=" + path}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// Serve pushes img as repo:test to an in-process registry on loopback
// (stopped at the end of the test) and returns its digest-pinned
// reference.
func Serve(t testing.TB, img v1.Image, repo string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	ref, err := name.ParseReference(ln.Addr().String() + "/" + repo + ":test")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ln.Addr().String() + "/" + repo + "@" + d.String()
}
