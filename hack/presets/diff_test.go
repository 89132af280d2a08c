package main

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type ent struct {
	name, body, link string
	typ              byte
}

func writeTar(t *testing.T, path string, es []ent) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, e := range es {
		h := &tar.Header{Name: "./" + e.name, Typeflag: e.typ, Mode: 0o644, Linkname: e.link, Size: int64(len(e.body))}
		if e.typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			_, _ = tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func readLayer(t *testing.T, path string) []ent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []ent
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, ent{name: h.Name, body: string(b), link: h.Linkname, typ: h.Typeflag})
	}
}

// TestDiffLayer: a preset's layer holds what its packages added or
// changed, whiteouts for what they removed, and hard links to files
// outside the layer as regular files.
func TestDiffLayer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	parent, root, out := filepath.Join(dir, "p.tar"), filepath.Join(dir, "r.tar"), filepath.Join(dir, "l.tar.gz")
	writeTar(t, parent, []ent{
		{name: "usr", typ: tar.TypeDir}, {name: "usr/bin", typ: tar.TypeDir},
		{name: "usr/bin/same", body: "same", typ: tar.TypeReg},
		{name: "usr/bin/changed", body: "old", typ: tar.TypeReg},
		{name: "usr/bin/gone", body: "x", typ: tar.TypeReg},
		{name: "var/log/apt/eipp.log.xz", body: "a", typ: tar.TypeReg},
	})
	writeTar(t, root, []ent{
		{name: "usr", typ: tar.TypeDir}, {name: "usr/bin", typ: tar.TypeDir},
		{name: "usr/bin/same", body: "same", typ: tar.TypeReg},
		{name: "usr/bin/changed", body: "new", typ: tar.TypeReg},
		{name: "usr/bin/new", body: "n", typ: tar.TypeReg},
		{name: "usr/bin/link", link: "./usr/bin/same", typ: tar.TypeLink},
		{name: "usr/bin/sym", link: "same", typ: tar.TypeSymlink},
		{name: "var/log/apt/eipp.log.xz", body: "b", typ: tar.TypeReg},
	})
	if err := diffLayer(parent, root, out); err != nil {
		t.Fatal(err)
	}
	want := []ent{
		{name: "usr/bin/changed", body: "new", typ: tar.TypeReg},
		{name: "usr/bin/new", body: "n", typ: tar.TypeReg},
		{name: "usr/bin/link", body: "same", typ: tar.TypeReg},
		{name: "usr/bin/sym", link: "same", typ: tar.TypeSymlink},
		{name: "usr/bin/.wh.gone", typ: tar.TypeReg},
	}
	if d := cmp.Diff(want, readLayer(t, out), cmp.AllowUnexported(ent{})); d != "" {
		t.Errorf("layer (-want +got):\n%s", d)
	}
	// Reproducible: the same inputs give the same bytes.
	out2 := filepath.Join(dir, "l2.tar.gz")
	if err := diffLayer(parent, root, out2); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if string(a) != string(b) {
		t.Error("two builds of the same layer differ")
	}
}
