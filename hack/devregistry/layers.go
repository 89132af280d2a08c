package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// epoch is the fixed modification time of every entry, so that layers are
// byte-for-byte reproducible.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// entry is one file system object of a layer.
type entry struct {
	name     string // path inside the image, no leading slash
	mode     int64
	typ      byte
	linkname string
	src      string // host file for regular files
}

func writeLayer(path string, entries []entry) error {
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	gz, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		f.Close()
		return err
	}
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		if err := writeEntry(tw, e); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := gz.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func writeEntry(tw *tar.Writer, e entry) error {
	h := &tar.Header{
		Name: e.name, Mode: e.mode, Typeflag: e.typ, Linkname: e.linkname,
		ModTime: epoch, Uid: 0, Gid: 0, Format: tar.FormatPAX,
	}
	if e.typ == tar.TypeDir && !strings.HasSuffix(h.Name, "/") {
		h.Name += "/"
	}
	var src *os.File
	if e.typ == tar.TypeReg && e.src != "" {
		var err error
		if src, err = os.Open(e.src); err != nil {
			return err
		}
		defer src.Close()
		st, err := src.Stat()
		if err != nil {
			return err
		}
		h.Size = st.Size()
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if src != nil {
		_, err := io.Copy(tw, src)
		return err
	}
	return nil
}

// busyboxEntries is a minimal root file system: busybox-static with its
// applet symlinks, /etc/passwd and /etc/group, /tmp and /root.
func busyboxEntries(busybox, workdir string) ([]entry, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w", busybox, err)
	}
	es := []entry{
		{name: "bin", mode: 0o755, typ: tar.TypeDir},
		{name: "etc", mode: 0o755, typ: tar.TypeDir},
		{name: "tmp", mode: 0o1777, typ: tar.TypeDir},
		{name: "root", mode: 0o700, typ: tar.TypeDir},
		{name: "usr", mode: 0o755, typ: tar.TypeDir},
		{name: "usr/bin", mode: 0o755, typ: tar.TypeDir},
		{name: "bin/busybox", mode: 0o755, typ: tar.TypeReg, src: busybox},
	}
	for _, a := range strings.Fields(string(out)) {
		if a == "busybox" {
			continue
		}
		es = append(es, entry{name: "bin/" + a, mode: 0o777, typ: tar.TypeSymlink, linkname: "busybox"})
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":  "root:x:0:\nnobody:x:65534:\n",
	}
	dir := filepath.Join(workdir, "etc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return nil, err
		}
		es = append(es, entry{name: name, mode: 0o644, typ: tar.TypeReg, src: p})
	}
	return es, nil
}

// goEntries is the host's Go installation under usr/local/go, without the
// parts a build never reads (tests, docs).
func goEntries(goroot string) ([]entry, error) {
	keep := map[string]bool{"bin": true, "pkg": true, "src": true, "lib": true, "go.env": true, "VERSION": true, "LICENSE": true}
	es := []entry{
		{name: "usr/local", mode: 0o755, typ: tar.TypeDir},
		{name: "usr/local/go", mode: 0o755, typ: tar.TypeDir},
	}
	err := filepath.WalkDir(goroot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(goroot, p)
		if rel == "." {
			return nil
		}
		top, _, _ := strings.Cut(rel, string(filepath.Separator))
		if !keep[top] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() && (d.Name() == "testdata") {
			return filepath.SkipDir
		}
		name := "usr/local/go/" + filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			es = append(es, entry{name: name, mode: 0o755, typ: tar.TypeDir})
		case info.Mode()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			es = append(es, entry{name: name, mode: 0o777, typ: tar.TypeSymlink, linkname: l})
		case info.Mode().IsRegular():
			mode := int64(0o644)
			if info.Mode()&0o111 != 0 {
				mode = 0o755
			}
			es = append(es, entry{name: name, mode: mode, typ: tar.TypeReg, src: p})
		}
		return nil
	})
	return es, err
}
