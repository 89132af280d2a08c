package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// epoch is the modification time of every entry: layers are reproducible.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// skip are paths whose content changes on every build and that no snippet
// needs.
var skip = map[string]bool{"var/log/apt/eipp.log.xz": true, "var/cache/ldconfig/aux-cache": true}

func clean(n string) string {
	n = strings.TrimPrefix(n, "./")
	return strings.TrimSuffix(n, "/")
}

// identity is what makes two entries the same file: type, mode, owner,
// link target and content.
func identity(h *tar.Header, r io.Reader) (string, error) {
	s := fmt.Sprintf("%c %o %d %d %s", h.Typeflag, h.Mode, h.Uid, h.Gid, h.Linkname)
	if h.Typeflag == tar.TypeReg {
		d := sha256.New()
		if _, err := io.Copy(d, r); err != nil {
			return "", err
		}
		s += " " + hex.EncodeToString(d.Sum(nil))
	}
	return s, nil
}

func index(tarPath string) (map[string]string, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		id, err := identity(h, tr)
		if err != nil {
			return nil, err
		}
		out[clean(h.Name)] = id
	}
}

// diffLayer writes, as a gzipped layer, the entries of root that parent
// (a root file system tar, or "" for none) does not have identically, and
// whiteouts for what root removed. Hard links whose target is not in the
// layer become regular files.
func diffLayer(parent, root, out string) error {
	base := map[string]string{}
	if parent != "" {
		var err error
		if base, err = index(parent); err != nil {
			return err
		}
	}
	// Pass 1: what goes in, and which link targets must be kept whole.
	ids, err := index(root)
	if err != nil {
		return err
	}
	in := map[string]bool{}
	for n, id := range ids {
		if n != "" && !skip[n] && base[n] != id {
			in[n] = true
		}
	}
	f, err := os.Open(root)
	if err != nil {
		return err
	}
	defer f.Close()
	tmp := out + ".tmp"
	o, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	gz, _ := gzip.NewWriterLevel(o, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	kept := map[string][]byte{} // link targets outside the layer
	need := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeLink && in[clean(h.Name)] && !in[clean(h.Linkname)] {
			need[clean(h.Linkname)] = true
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	tr = tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n := clean(h.Name)
		if need[n] && h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			kept[n] = b
			if !in[n] {
				continue
			}
			if err := write(tw, h, n, b); err != nil {
				return err
			}
			continue
		}
		if !in[n] {
			continue
		}
		if h.Typeflag == tar.TypeLink && !in[clean(h.Linkname)] {
			b, ok := kept[clean(h.Linkname)]
			if !ok {
				return fmt.Errorf("%s: hard link to %s, which was not seen", n, h.Linkname)
			}
			h2 := *h
			h2.Typeflag, h2.Linkname = tar.TypeReg, ""
			if err := write(tw, &h2, n, b); err != nil {
				return err
			}
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := write(tw, h, n, b); err != nil {
			return err
		}
	}
	// Whiteouts for what the parent had and root does not.
	gone := make([]string, 0)
	for n := range base {
		gone = append(gone, n)
	}
	sort.Strings(gone) // reproducible order
	for _, n := range gone {
		if _, ok := ids[n]; !ok && n != "" {
			if _, dirKept := ids[path.Dir(n)]; !dirKept && path.Dir(n) != "." {
				continue // the whole directory is gone; its own whiteout covers it
			}
			h := &tar.Header{Name: path.Join(path.Dir(n), ".wh."+path.Base(n)), Typeflag: tar.TypeReg, Mode: 0o644}
			if err := write(tw, h, h.Name, nil); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	if err := o.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func write(tw *tar.Writer, h *tar.Header, name string, body []byte) error {
	h2 := &tar.Header{
		Name: name, Typeflag: h.Typeflag, Mode: h.Mode, Uid: h.Uid, Gid: h.Gid,
		Linkname: clean(h.Linkname), ModTime: epoch, Format: tar.FormatPAX,
		Devmajor: h.Devmajor, Devminor: h.Devminor,
	}
	if h.Typeflag == tar.TypeSymlink {
		h2.Linkname = h.Linkname
	}
	if h.Typeflag == tar.TypeDir {
		h2.Name += "/"
	}
	if h.Typeflag == tar.TypeReg {
		h2.Size = int64(len(body))
	}
	if err := tw.WriteHeader(h2); err != nil {
		return err
	}
	if len(body) > 0 {
		_, err := tw.Write(body)
		return err
	}
	return nil
}
