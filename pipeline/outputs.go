package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/sbom"
	"github.com/pinline/pinline/spec"
)

// outputAuto is the output type of a call task's exported result: "dir"
// or "file", whichever the function returned.
const outputAuto = "auto"

// exporter places task outputs on the host. Each output is first exported
// into a staging directory inside the run directory, then moved to its
// destination. A destination directory that already exists is updated in
// place, and files it has that the new output lacks are deleted only while
// the run's deletion budget (--allow-delete) lasts; otherwise the export
// fails and the destination is left untouched.
//
// Every write goes through root, the run directory's os.Root: a dest or a
// symlink (one an earlier output of the same run exported, say) that leads
// out of the run directory is an error, never a write outside it.
type exporter struct {
	runDir string
	// skip512 hashes outputs with SHA-256 only (--sbom-sha512=false).
	skip512 bool
	root    *os.Root
	mu      sync.Mutex
	budget  int // deletions still allowed
	seq     int
}

// stagingDir is where outputs land before they are installed; it is
// removed when the run ends.
const stagingDir = ".staging"

// staging is the directory (or file path) one output is exported to: abs
// for the engine's export, rel (to the run directory) for writes through
// root.
type staging struct {
	abs, rel string
	root     *os.Root
}

// export runs fetch into a staging path and installs the result.
func (e *exporter) export(ctx context.Context, task string, o spec.Output, fetch func(ctx context.Context, st staging) error) (record.Output, error) {
	typ := o.Type
	if typ == "" {
		typ = "file"
	}
	rel, err := e.dest(o)
	if err != nil {
		return record.Output{}, fmt.Errorf("export %s: %w", o.Path, err)
	}
	e.mu.Lock()
	e.seq++
	st := staging{rel: path.Join(stagingDir, strconv.Itoa(e.seq)), root: e.root}
	e.mu.Unlock()
	st.abs = filepath.Join(e.runDir, filepath.FromSlash(st.rel))
	defer e.root.RemoveAll(st.rel)
	if err := e.root.MkdirAll(stagingDir, 0o755); err != nil {
		return record.Output{}, err
	}
	if err := fetch(ctx, st); err != nil {
		return record.Output{}, fmt.Errorf("export %s: %w", o.Path, err)
	}
	if typ == outputAuto {
		// What a module function returned: a directory or a file.
		fi, err := e.root.Lstat(st.rel)
		if err != nil {
			return record.Output{}, fmt.Errorf("export %s: %w", o.Path, err)
		}
		typ = "file"
		if fi.IsDir() {
			typ = "dir"
		}
	}
	if err := e.install(st.rel, rel, typ); err != nil {
		return record.Output{}, fmt.Errorf("export %s to %s: %w", o.Path, rel, err)
	}
	dest := filepath.Join(e.runDir, filepath.FromSlash(rel))
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

// dest is where an output goes, relative to the run directory (as run.json
// names it): dest as written, or outputs/<base name of path>.
func (e *exporter) dest(o spec.Output) (string, error) {
	if o.Dest == "" {
		base := path.Base(o.Path)
		if base == "/" || base == "." {
			base = "root"
		}
		return path.Join(record.OutputDir, base), nil
	}
	if msg := spec.CheckDest(o.Dest); msg != "" {
		return "", fmt.Errorf("output dest %q %s", o.Dest, msg)
	}
	if reservedDest(o.Dest) {
		return "", fmt.Errorf("output dest %q would overwrite the run record", o.Dest)
	}
	return path.Clean(o.Dest), nil
}

// reservedDest reports whether dest names (or is under) a file pinline
// writes into the run directory itself.
func reservedDest(dest string) bool {
	first, _, _ := strings.Cut(path.Clean(dest), "/")
	switch first {
	case record.RunFile, record.DecisionFile, record.SBOMFile, record.ProvenanceFile, record.BundleFile,
		record.LogDir, stagingDir:
		return true
	}
	return false
}

// install moves the staged output (st, relative to root) to dest, through
// root.
func (e *exporter) install(st, dest, typ string) error {
	info, err := e.root.Lstat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := e.root.MkdirAll(path.Dir(dest), 0o755); err != nil {
			return err
		}
		return e.root.Rename(st, dest)
	case err != nil:
		return err
	case typ == "file":
		if info.IsDir() {
			return fmt.Errorf("%w: %s is a directory", ErrExportGuard, dest)
		}
		// A rename replaces a symlink at dest itself, never its target.
		return e.root.Rename(st, dest)
	case !info.IsDir():
		return fmt.Errorf("%w: %s exists and is not a directory", ErrExportGuard, dest)
	}
	// Directory into an existing directory: count what a mirror deletes.
	newFiles, err := listRootFiles(e.root, st)
	if err != nil {
		return err
	}
	old, err := listRootFiles(e.root, dest)
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
		if err := e.root.Remove(path.Join(dest, f)); err != nil {
			return err
		}
	}
	for _, f := range slices.Sorted(maps.Keys(newFiles)) {
		to := path.Join(dest, f)
		if err := e.root.MkdirAll(path.Dir(to), 0o755); err != nil {
			return err
		}
		if err := e.root.Rename(path.Join(st, f), to); err != nil {
			return err
		}
	}
	return nil
}

// listRootFiles is listFiles through root: the non-directory entries
// under dir (relative to root), relative to dir, slash-separated. Symlinks
// are listed, never followed.
func listRootFiles(root *os.Root, dir string) (map[string]bool, error) {
	files := map[string]bool{}
	err := fs.WalkDir(root.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files[strings.TrimPrefix(p, dir+"/")] = d.Type().IsRegular()
		}
		return nil
	})
	return files, err
}

// listFiles returns the non-directory entries under dir, relative, each
// mapped to whether it is a regular file (not a symlink, socket, ...);
// the directory skip (absolute; "" for none) is left out.
func listFiles(dir, skip string) (map[string]bool, error) {
	files := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skip != "" && d.IsDir() && p == skip {
			return filepath.SkipDir
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
	files, err := listFiles(dir, "")
	if err != nil {
		return "", 0, nil, err
	}
	return manifestDigest(ctx, dir, files, skip512)
}

// dirDigestExcept is dirDigest (SHA-256 only) without what lies under
// skip (an absolute path; "" skips nothing).
func dirDigestExcept(ctx context.Context, dir, skip string) (string, int64, []record.OutputFile, error) {
	files, err := listFiles(dir, skip)
	if err != nil {
		return "", 0, nil, err
	}
	return manifestDigest(ctx, dir, files, true)
}

// manifestDigest is the digest of the manifest of files (relative to dir,
// each mapped to whether it is a regular file).
func manifestDigest(ctx context.Context, dir string, files map[string]bool, skip512 bool) (string, int64, []record.OutputFile, error) {
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
