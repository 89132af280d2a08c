package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// walk lists configuration files and candidate source files.
func walk(ctx context.Context, rootAbs string, opts Options) (configs, sources []job, err error) {
	seen := map[string]bool{}
	for _, given := range opts.Paths {
		p := given
		if !filepath.IsAbs(p) {
			p = filepath.Join(rootAbs, p)
		}
		// A path that is not there is bad input (exit 2), not an
		// operational failure.
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, &ParseError{File: given, Msg: "no such file or directory"}
		}
		err := filepath.WalkDir(p, func(abs string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			name := d.Name()
			if d.IsDir() {
				if skipDirs[name] && abs != p {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil // symlinks, devices, sockets
			}
			kind := classify(name, abs)
			if kind < 0 {
				return nil
			}
			rel := relPath(rootAbs, abs)
			if seen[rel] {
				return nil
			}
			seen[rel] = true
			j := job{kind: kind, abs: abs, rel: rel}
			if kind >= kindGo {
				sources = append(sources, j)
			} else {
				configs = append(configs, j)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("walk %s: %w", p, err)
		}
	}
	return configs, sources, nil
}

func classify(name, abs string) int {
	switch name {
	case "dagger.json":
		return kindDaggerJSON
	case "dagger-module.toml":
		return kindModuleTOML
	case "dagger.lock":
		return kindLock
	case "pinline.yaml", "pinline.yml":
		return kindSpec
	case "dagger.toml":
		return kindWorkspaceTOML
	case "config.toml":
		if filepath.Base(filepath.Dir(abs)) == ".dagger" {
			return kindWorkspaceTOML
		}
		return -1
	}
	switch {
	case strings.HasSuffix(name, ".go"):
		return kindGo
	case strings.HasSuffix(name, ".py"):
		return kindPython
	case strings.HasSuffix(name, ".ts") && !strings.HasSuffix(name, ".d.ts"):
		return kindTS
	}
	return -1
}

func relPath(rootAbs, abs string) string {
	rel, err := filepath.Rel(rootAbs, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}
