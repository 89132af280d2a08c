package main

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestOpenLayer: a cached layer's digests are computed once, kept beside
// it, and equal go-containerregistry's own; a sidecar that does not match
// the file's size is recomputed.
func TestOpenLayer(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root.tar")
	writeTar(t, root, []ent{{name: "etc", typ: tar.TypeDir}, {name: "etc/a", body: "hello", typ: tar.TypeReg}})
	path := filepath.Join(dir, "l.tar.gz")
	if err := diffLayer("", root, path); err != nil {
		t.Fatal(err)
	}
	want, err := tarball.LayerFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := want.Digest()
	wdiff, _ := want.DiffID()
	for i := range 2 {
		l, err := openLayer(path)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := l.Digest()
		diff, _ := l.DiffID()
		if d != wd || diff != wdiff {
			t.Errorf("open %d: digest %s diffID %s, want %s %s", i, d, diff, wd, wdiff)
		}
	}
	if _, err := os.Stat(path + ".digests.json"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".digests.json", []byte(`{"digest":"sha256:`+wd.Hex[:60]+`0000","size":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := openLayer(path)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := l.Digest(); d != wd {
		t.Errorf("a stale sidecar was trusted: %s", d)
	}
}
