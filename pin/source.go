package pin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pinline/pinline/inventory"
)

// isSource reports whether path is Dagger module source pin may edit.
func isSource(path string) bool {
	switch filepath.Ext(path) {
	case ".go", ".py", ".ts":
		return !strings.HasSuffix(path, ".d.ts")
	}
	return false
}

// sourceOrigins are the inventory origins of module source image refs.
var sourceOrigins = map[string]bool{"go": true, "python": true, "typescript": true}

// collectSources finds the image references of module source files with
// the inventory (the same scanner the gate uses, so pin fixes exactly what
// check reports), together with the dagger.json files that make the
// sources module code. Each reference is edited where the inventory says
// it is: the position must hold the literal (after its opening quote) or
// the +default pragma value; otherwise the entry is left with a note.
func collectSources(ctx context.Context, root string, sources, configs []string) ([]*file, error) {
	paths := append(append([]string{}, configs...), sources...)
	for _, s := range sources {
		if cfg := moduleConfigOf(root, s); cfg != "" {
			paths = append(paths, cfg)
		}
	}
	inv, err := inventory.Collect(ctx, inventory.Options{Root: root, Paths: dedupe(paths)})
	if err != nil {
		var pe *inventory.ParseError
		if errors.As(err, &pe) {
			return nil, &InputError{Pos: inventory.Position{File: pe.File, Line: pe.Line, Column: pe.Column}, Err: err}
		}
		return nil, err
	}
	// The inventory names files relative to root, with ../ when outside.
	rootAbs, _ := filepath.Abs(root)
	wanted := map[string]bool{}
	for _, s := range sources {
		if rel, err := filepath.Rel(rootAbs, s); err == nil {
			wanted[filepath.ToSlash(rel)] = true
		}
	}
	byFile := map[string][]inventory.ImageRef{}
	for _, img := range inv.Images {
		// Grouped by the file pin edits: the constant's literal, which
		// may be in another file of the package than the use.
		at := img.Pos
		if img.Literal != nil {
			at = *img.Literal
		}
		if sourceOrigins[img.Origin] && (wanted[at.File] || wanted[img.Pos.File]) {
			byFile[at.File] = append(byFile[at.File], img)
		}
	}
	var files []*file
	for _, rel := range slices.Sorted(maps.Keys(byFile)) {
		abs := filepath.Join(rootAbs, filepath.FromSlash(rel))
		data, err := os.ReadFile(abs)
		if err != nil {
			return nil, err
		}
		f := newFile(relTo(root, abs), abs, data)
		seen := map[int]int{} // literal offset -> index of its site
		for _, img := range byFile[rel] {
			at := img.Pos
			if img.Literal != nil {
				at = *img.Literal
			}
			off, ok := literalAt(f, at, img.Ref)
			if !ok {
				f.notes = append(f.notes, Note{Pos: img.Pos, Ref: img.Ref,
					Reason: "the reference is not written literally at " + posString(img.Pos) + "; pin it by hand"})
				continue
			}
			// One edit per literal; the site is reported where check
			// reports the image (its use), and at every other use of the
			// same literal.
			if i, ok := seen[off]; ok {
				f.sites[i].alsoAt = append(f.sites[i].alsoAt, img.Pos)
				continue
			}
			n := len(f.sites)
			addImageText(f, off, img.Ref)
			if len(f.sites) > n {
				f.sites[n].pos = img.Pos
				seen[off] = n
			}
		}
		files = append(files, f)
	}
	return files, nil
}

// literalAt returns the byte offset of ref at pos: inside a string literal
// whose opening quote is at pos, or at pos itself.
func literalAt(f *file, pos inventory.Position, ref string) (int, bool) {
	if pos.Line < 1 || pos.Line > len(f.lines) || pos.Column < 1 {
		return 0, false
	}
	off := f.lines[pos.Line-1] + pos.Column - 1
	if off < len(f.data) && strings.IndexByte("\"'`", f.data[off]) >= 0 {
		off++
	}
	if off+len(ref) <= len(f.data) && string(f.data[off:off+len(ref)]) == ref {
		return off, true
	}
	return 0, false
}

func posString(p inventory.Position) string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// moduleConfigOf returns the dagger.json (or dagger-module.toml) in the directory of path or the
// nearest one above it, up to root; "" when there is none.
func moduleConfigOf(root, path string) string {
	rootAbs, _ := filepath.Abs(root)
	dir, _ := filepath.Abs(filepath.Dir(path))
	for {
		for _, name := range []string{"dagger.json", "dagger-module.toml"} {
			cfg := filepath.Join(dir, name)
			if _, err := os.Stat(cfg); err == nil {
				return cfg
			}
		}
		if dir == rootAbs {
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func relTo(root, abs string) string {
	rootAbs, _ := filepath.Abs(root)
	rel, err := filepath.Rel(rootAbs, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
