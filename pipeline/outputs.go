package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/sbom"
	"github.com/pinline/pinline/spec"
)

// exporter places task outputs on the host. Each output is first exported
// into a staging directory inside the run directory, then moved to its
// destination. A destination directory that already exists is updated in
// place, and files it has that the new output lacks are deleted only while
// the run's deletion budget (--allow-delete) lasts; otherwise the export
// fails and the destination is left untouched.
type exporter struct {
	runDir string
	// skip512 hashes outputs with SHA-256 only (--sbom-sha512=false).
	skip512 bool
	mu      sync.Mutex
	budget  int // deletions still allowed
	seq     int
}

// export runs fetch into a staging path and installs the result.
func (e *exporter) export(ctx context.Context, task string, o spec.Output, fetch func(ctx context.Context, staging string) error) (record.Output, error) {
	typ := o.Type
	if typ == "" {
		typ = "file"
	}
	e.mu.Lock()
	e.seq++
	staging := filepath.Join(e.runDir, ".staging", fmt.Sprintf("%d", e.seq))
	e.mu.Unlock()
	defer os.RemoveAll(staging)
	if err := os.MkdirAll(filepath.Dir(staging), 0o755); err != nil {
		return record.Output{}, err
	}
	if err := fetch(ctx, staging); err != nil {
		return record.Output{}, fmt.Errorf("export %s: %w", o.Path, err)
	}
	dest, rel := e.dest(o)
	if err := e.install(staging, dest, typ); err != nil {
		return record.Output{}, fmt.Errorf("export %s to %s: %w", o.Path, dest, err)
	}
	out := record.Output{Task: task, Path: o.Path, File: rel, Type: typ}
	if typ == "dir" {
		var err error
		out.SHA256, out.Size, out.Files, err = dirDigest(ctx, dest, e.skip512)
		return out, err
	}
	d, err := hashOutput(ctx, dest, e.skip512)
	out.SHA256, out.SHA512, out.Size = d.SHA256, d.SHA512, d.Size
	return out, err
}

// hashOutput reads a file once for its SHA-256 and SHA-512 (one goroutine
// per hash over the same buffers), or SHA-256 alone with skip512. run.json
// records both and the SBOM takes them from there.
func hashOutput(ctx context.Context, p string, skip512 bool) (sbom.Digests, error) {
	if skip512 {
		return sbom.HashFileSHA256(ctx, p)
	}
	return sbom.HashFile(ctx, p)
}

// dest is the host path of an output and how run.json names it: relative
// to the run directory, or absolute for a declared host path.
func (e *exporter) dest(o spec.Output) (abs, rel string) {
	switch {
	case o.Dest == "":
		rel = path.Join(record.OutputDir, path.Base(o.Path))
	case filepath.IsAbs(o.Dest):
		return filepath.Clean(o.Dest), filepath.Clean(o.Dest)
	default:
		rel = filepath.ToSlash(filepath.Clean(o.Dest))
	}
	return filepath.Join(e.runDir, filepath.FromSlash(rel)), rel
}

func (e *exporter) install(staging, dest, typ string) error {
	st, err := os.Lstat(dest)
	switch {
	case os.IsNotExist(err):
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		return os.Rename(staging, dest)
	case err != nil:
		return err
	case typ == "file":
		if st.IsDir() {
			return fmt.Errorf("%w: %s is a directory", ErrExportGuard, dest)
		}
		return os.Rename(staging, dest)
	case !st.IsDir():
		return fmt.Errorf("%w: %s exists and is not a directory", ErrExportGuard, dest)
	}
	// Directory into an existing directory: count what a mirror deletes.
	newFiles, err := listFiles(staging)
	if err != nil {
		return err
	}
	old, err := listFiles(dest)
	if err != nil {
		return err
	}
	var gone []string
	for f := range old {
		if _, ok := newFiles[f]; !ok {
			gone = append(gone, f)
		}
	}
	sort.Strings(gone)
	e.mu.Lock()
	if len(gone) > e.budget {
		e.mu.Unlock()
		return fmt.Errorf("%w: %d existing file(s) under %s would be deleted (e.g. %s), --allow-delete permits %d",
			ErrExportGuard, len(gone), dest, gone[0], e.budget)
	}
	e.budget -= len(gone)
	e.mu.Unlock()
	for _, f := range gone {
		if err := os.Remove(filepath.Join(dest, f)); err != nil {
			return err
		}
	}
	for f := range newFiles {
		to := filepath.Join(dest, f)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(staging, f), to); err != nil {
			return err
		}
	}
	return nil
}

// listFiles returns the non-directory entries under dir, relative, each
// mapped to whether it is a regular file (not a symlink, socket, ...).
func listFiles(dir string) (map[string]bool, error) {
	files := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files[rel] = d.Type().IsRegular()
		}
		return nil
	})
	return files, err
}

// dirDigest is the SHA-256 of the directory's manifest: one line
// "<sha256 hex>  <relative path>\n" per regular file, sorted by path (the
// format of `sha256sum`), so `find . -type f | sort | xargs sha256sum`
// reproduces it. Size is the sum of the file sizes; files are each file's
// digests (hashed once, as hashOutput).
func dirDigest(ctx context.Context, dir string, skip512 bool) (string, int64, []record.OutputFile, error) {
	files, err := listFiles(dir)
	if err != nil {
		return "", 0, nil, err
	}
	names := make([]string, 0, len(files))
	for f, regular := range files {
		// Regular files only, as documented and as the SBOM lists them:
		// a symlink is not followed out of the output.
		if regular {
			names = append(names, f)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	var total int64
	out := make([]record.OutputFile, 0, len(names))
	for _, f := range names {
		d, err := hashOutput(ctx, filepath.Join(dir, f), skip512)
		if err != nil {
			return "", 0, nil, err
		}
		total += d.Size
		fmt.Fprintf(&b, "%s  %s\n", d.SHA256, filepath.ToSlash(f))
		out = append(out, record.OutputFile{Path: filepath.ToSlash(f), Size: d.Size, SHA256: d.SHA256, SHA512: d.SHA512})
	}
	return sha256Hex([]byte(b.String())), total, out, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
