package pin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pinline/pinline/inventory"
)

// Run pins (or, with Check, Diff or Verify, inspects) the files under
// opts.Paths. It resolves everything first and writes only when every
// resolution succeeded; each file is replaced atomically.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Root == "" {
		opts.Root = "."
	}
	if opts.Images == nil {
		opts.Images = &Registry{}
	}
	if opts.Git == nil {
		opts.Git = &Git{}
	}
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	files, err := discover(ctx, opts.Root, opts.Paths)
	if err != nil {
		return nil, err
	}
	rep := &Report{Changes: []Change{}, Files: []string{}}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	r := &resolver{images: opts.Images, git: opts.Git, digests: map[string]string{}, refs: map[string]map[string]string{}}
	var changed []*file
	for _, f := range files {
		rep.Notes = append(rep.Notes, f.notes...)
		var edits []edit
		for _, s := range f.sites {
			if opts.Verify {
				if s.pinned != "" {
					fd, err := r.verify(ctx, s)
					if err != nil {
						return rep, err
					}
					rep.Findings = append(rep.Findings, fd)
				}
				continue
			}
			if s.pinned != "" || s.edit == nil {
				continue
			}
			if opts.Offline && opts.Check {
				rep.Changes = append(rep.Changes, Change{Pos: s.pos, Kind: s.kind, Ref: s.ref})
				for _, p := range s.alsoAt {
					rep.Changes = append(rep.Changes, Change{Pos: p, Kind: s.kind, Ref: s.ref})
				}
				if !slices.Contains(rep.Files, f.rel) {
					rep.Files = append(rep.Files, f.rel)
				}
				continue
			}
			val, fullRef, err := r.resolve(ctx, s)
			if err != nil {
				return rep, err
			}
			ch := Change{Pos: s.pos, Kind: s.kind, Ref: s.ref, Pin: val}
			if opts.MinAge > 0 {
				age, err := r.age(ctx, s, fullRef, val, now())
				switch {
				case errors.Is(err, ErrAgeUnknown):
					rep.Notes = append(rep.Notes, Note{Pos: s.pos, Ref: s.ref,
						Reason: fmt.Sprintf("not pinned: --min-age %s is set and %v", FormatAge(opts.MinAge), err)})
					continue
				case err != nil:
					return rep, wrapSite(s, err)
				}
				ch.Age = FormatAge(age)
				if age < opts.MinAge {
					rep.Notes = append(rep.Notes, Note{Pos: s.pos, Ref: s.ref, Age: ch.Age,
						Reason: fmt.Sprintf("not pinned: %s is %s old, younger than --min-age %s", short(val), ch.Age, FormatAge(opts.MinAge))})
					continue
				}
			}
			edits = append(edits, s.edit(val))
			rep.Changes = append(rep.Changes, ch)
			for _, p := range s.alsoAt {
				also := ch
				also.Pos = p
				rep.Changes = append(rep.Changes, also)
			}
		}
		if len(edits) == 0 {
			continue
		}
		newData := apply(f.data, edits)
		if string(newData) == string(f.data) {
			continue
		}
		rep.Files = append(rep.Files, f.rel)
		if opts.Diff {
			if err := unifiedDiff(out, "a/"+f.rel, "b/"+f.rel, f.data, newData); err != nil {
				return rep, err
			}
		}
		f.data = newData
		changed = append(changed, f)
	}
	if opts.Verify || opts.Check || opts.Diff {
		return rep, nil
	}
	for _, f := range changed {
		if err := writeAtomic(f.abs, f.data); err != nil {
			return rep, fmt.Errorf("write %s: %w", f.rel, err)
		}
	}
	rep.Written = len(changed) > 0
	return rep, nil
}

// skipDirs are never walked: VCS data and dependencies. testdata is
// walked, as check walks it: a module there is still a module.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "vendor": true, ".venv": true,
	"__pycache__": true}

// kindOf says which collector reads a file: "dagger.json", "dagger.lock",
// "spec", "source" or "".
func kindOf(path string) string {
	switch base := filepath.Base(path); {
	case base == "dagger.json":
		return "dagger.json"
	case base == "dagger.lock":
		return "dagger.lock"
	case base == "dagger-module.toml" || base == "dagger.toml" ||
		base == "config.toml" && filepath.Base(filepath.Dir(path)) == ".dagger":
		return "toml"
	case base == "pinline.yaml" || base == "pinline.yml":
		return "spec"
	case isSource(path):
		return "source"
	}
	return ""
}

// discover reads the files to pin. Directories are walked; module source
// is read only when it belongs to a Dagger module (see collectSources).
// Named files that do not exist are skipped (a staged deletion).
func discover(ctx context.Context, root string, paths []string) ([]*file, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	seen := map[string]bool{}
	var files []*file
	var sources, configs []string
	add := func(abs string) error {
		kind := kindOf(abs)
		if kind == "" || seen[abs] {
			return nil
		}
		seen[abs] = true
		if kind == "source" {
			sources = append(sources, abs)
			return nil
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			return fmt.Errorf("read %s: %w", abs, err)
		}
		f := newFile(relTo(root, abs), abs, data)
		switch kind {
		case "dagger.json":
			configs = append(configs, abs)
			err = collectDaggerJSON(f)
		case "dagger.lock":
			err = collectLock(f)
		case "toml":
			if filepath.Base(abs) == "dagger-module.toml" {
				configs = append(configs, abs)
			}
			err = collectTOML(f)
		case "spec":
			err = collectSpec(f)
		}
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	}
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(p) {
			abs = filepath.Join(root, p)
		}
		st, err := os.Stat(abs)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && kindOf(abs) != "" {
				continue
			}
			return nil, &InputError{Pos: inventory.Position{File: p}, Err: err}
		}
		if !st.IsDir() {
			if err := add(abs); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != abs && skipDirs[d.Name()] {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			return add(path)
		})
		if err != nil {
			return nil, err
		}
	}
	if len(sources) > 0 {
		src, err := collectSources(ctx, root, sources, configs)
		if err != nil {
			return nil, err
		}
		files = append(files, src...)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	return files, nil
}

// short abbreviates a digest or commit for messages.
func short(v string) string {
	if a, h, ok := strings.Cut(v, ":"); ok && len(h) > 12 {
		return a + ":" + h[:12]
	}
	if len(v) > 12 {
		return v[:12]
	}
	return v
}
