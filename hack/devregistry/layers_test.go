package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pinline/pinline/internal/testenv"
)

// TestLayersReproducible: the same inputs give byte-identical layers (and
// so the same image digests), entries are sorted and owned by root with the
// fixed mtime.
func TestLayersReproducible(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	for name, content := range map[string]string{"b/x": "x", "a": "a", "c/d/e": "e"} {
		p := filepath.Join(src, "bin", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var layers [][]byte
	for i := range 2 {
		es, err := goEntries(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "l.tar.gz")
		if i == 1 {
			// A later mtime on the source must not change the layer.
			if err := os.Chtimes(filepath.Join(src, "bin", "a"), epoch.AddDate(1, 0, 0), epoch.AddDate(1, 0, 0)); err != nil {
				t.Fatal(err)
			}
		}
		if err := writeLayer(p, es); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, b)
	}
	if !bytes.Equal(layers[0], layers[1]) {
		t.Fatal("two builds of the same layer differ")
	}
	zr, err := gzip.NewReader(bytes.NewReader(layers[0]))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	prev := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name < prev {
			t.Errorf("entries not sorted: %s after %s", h.Name, prev)
		}
		prev = h.Name
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(epoch) {
			t.Errorf("%s: uid %d gid %d mtime %s", h.Name, h.Uid, h.Gid, h.ModTime)
		}
	}
	if prev == "" {
		t.Fatal("empty layer")
	}
}

func TestBusyboxEntries(t *testing.T) {
	t.Parallel()
	testenv.RequireFile(t, "/bin/busybox", "hack/engine.sh (busybox-static)")
	es, err := busyboxEntries("/bin/busybox", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"bin/busybox": false, "bin/sh": false, "etc/passwd": false, "tmp": false}
	for _, e := range es {
		if _, ok := want[e.name]; ok {
			want[e.name] = true
		}
		if e.name == "bin/sh" && (e.typ != tar.TypeSymlink || e.linkname != "busybox") {
			t.Errorf("bin/sh is %c -> %s", e.typ, e.linkname)
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("%s missing", name)
		}
	}
}
