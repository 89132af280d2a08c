package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/pinline/pinline/spec"
	"golang.org/x/sync/errgroup"
)

// Options configure Collect.
type Options struct {
	// Root is the directory positions are relative to (default ".").
	Root string
	// Paths are the files or directories to walk, relative to Root unless
	// absolute (default: Root itself).
	Paths []string
	// Workers is the number of files parsed in parallel (default
	// GOMAXPROCS).
	Workers int
	// MaxFileSize is the largest file read (default 16 MiB); a larger
	// file is a *ParseError, never silently skipped.
	MaxFileSize int64
	// Env selects a workspace environment overlay (dagger.toml
	// [env.<name>], Dagger's --env); a name no workspace defines is a
	// *ParseError.
	Env string
	// UserConfig is the user-level Dagger config whose workspace
	// overrides are reported in Inventory.UserOverrides; nil for none.
	UserConfig *UserConfigFile
}

// skipDirs are never descended into.
var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true}

// File kinds found by the walk.
const (
	kindDaggerJSON = iota
	kindModuleTOML
	kindWorkspaceTOML
	kindLock
	kindSpec
	kindGo
	kindPython
	kindTS
)

type job struct {
	kind int
	abs  string
	rel  string
}

// Collect walks opts.Paths and returns everything it found, sorted. The
// walk skips .git, vendor and node_modules and never follows symbolic
// links. Module source files (Go, Python, TypeScript) are scanned only
// when they belong to a Dagger module; see moduleSourceOf. A malformed
// file makes Collect fail with a *ParseError (or *spec.Error); when
// several files are malformed, the error of the first file in path order
// is returned.
func Collect(ctx context.Context, opts Options) (*Inventory, error) {
	if opts.Root == "" {
		opts.Root = "."
	}
	if len(opts.Paths) == 0 {
		opts.Paths = []string{"."}
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = 16 << 20
	}
	rootAbs, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("inventory root: %w", err)
	}
	configs, sources, err := walk(ctx, rootAbs, opts)
	if err != nil {
		return nil, err
	}
	inv := &Inventory{Root: filepath.ToSlash(filepath.Clean(opts.Root))}
	res, err := run(ctx, opts, configs)
	if err != nil {
		return nil, err
	}
	merge(inv, res)
	if opts.Env != "" {
		if err := applyEnv(inv, opts.Env); err != nil {
			return nil, err
		}
	}
	if u := opts.UserConfig; u != nil {
		if inv.UserOverrides, err = ParseUserConfig(u.Name, u.Data); err != nil {
			return nil, err
		}
	}
	srcIdx := moduleSourceIndex(inv.Modules)
	var scan []job
	for _, j := range sources {
		if srcIdx.owns(j.rel) {
			scan = append(scan, j)
		}
	}
	res, err = run(ctx, opts, scan)
	if err != nil {
		return nil, err
	}
	merge(inv, res)
	resolveAcrossFiles(inv, res, srcIdx)
	sortInventory(inv)
	return inv, nil
}

// result is what one file contributes.
type result struct {
	file       string
	modules    []Module
	locks      []LockEntry
	specs      []SpecFile
	images     []ImageRef
	unresolved []Unresolved
	lints      []SourceLint
	goInfo     *goFileInfo  // Go: what other files of the package may resolve
	srcInfo    *srcFileInfo // Python, TypeScript: likewise for the module
	err        error
}

// readBufs holds read buffers: parsers copy what they keep, so a buffer is
// reused for the next file.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// run parses jobs, opts.Workers at a time; results keep the job order.
func run(ctx context.Context, opts Options, jobs []job) ([]result, error) {
	out := make([]result, len(jobs))
	var g errgroup.Group
	g.SetLimit(opts.Workers)
	for i := range jobs {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			bp := readBufs.Get().(*[]byte)
			out[i], *bp = parseJob(jobs[i], opts.MaxFileSize, *bp)
			readBufs.Put(bp)
			return nil
		})
	}
	_ = g.Wait() // parse errors are per result, below
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The first error in path order, so that the report is stable.
	var first *result
	for i := range out {
		if out[i].err != nil && (first == nil || out[i].file < first.file) {
			first = &out[i]
		}
	}
	if first != nil {
		return nil, first.err
	}
	return out, nil
}

func parseJob(j job, maxSize int64, buf []byte) (r result, _ []byte) {
	r.file = j.rel
	defer func() {
		if p := recover(); p != nil {
			r.err = &ParseError{File: j.rel, Msg: fmt.Sprintf("internal parser error: %v", p)}
		}
	}()
	data, err := readFile(j.abs, maxSize, buf)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.File = j.rel
		}
		r.err = err
		return r, buf
	}
	buf = data[:0]
	r = parseData(j, data)
	return r, buf
}

func parseData(j job, data []byte) (r result) {
	r.file = j.rel
	switch j.kind {
	case kindDaggerJSON:
		m, imgs, err := ParseDaggerJSON(j.rel, data)
		r.err, r.images = err, imgs
		if m != nil {
			r.modules = []Module{*m}
		}
	case kindModuleTOML, kindWorkspaceTOML:
		parse := ParseModuleTOML
		if j.kind == kindWorkspaceTOML {
			parse = ParseWorkspaceTOML
		}
		m, err := parse(j.rel, data)
		r.err = err
		if m != nil {
			r.modules = []Module{*m}
		}
	case kindLock:
		r.locks, r.images, r.err = ParseLock(j.rel, data)
	case kindSpec:
		s, err := spec.Parse(j.rel, data)
		if err != nil {
			r.err = err
			return r
		}
		r.specs = []SpecFile{{Path: j.rel, Spec: s}}
		r.images, r.err = specImages(j.rel, s)
	case kindGo:
		r.images, r.unresolved, r.goInfo, r.err = scanGo(j.rel, data)
		r.lints = LintSource(j.rel, "go", data)
	case kindPython:
		r.images, r.unresolved, r.srcInfo, r.err = scanPython(j.rel, data)
		r.lints = LintSource(j.rel, "python", data)
	case kindTS:
		r.images, r.unresolved, r.srcInfo, r.err = scanTypeScript(j.rel, data)
		r.lints = LintSource(j.rel, "typescript", data)
	}
	if j.kind >= kindGo {
		r = unparsedSource(r, j.kind)
	}
	return r
}

// unparsedSource turns a module source file that does not parse into an
// Unresolved entry (PL012) instead of rejecting the repository: the
// engine cannot build or run code that does not parse, so nothing in it
// runs, but the gate says that it could not look inside.
func unparsedSource(r result, kind int) result {
	var pe *ParseError
	if r.err == nil || !errors.As(r.err, &pe) {
		return r
	}
	origin := map[int]string{kindGo: "go", kindPython: "python", kindTS: "typescript"}[kind]
	line, col := pe.Line, pe.Column
	if line == 0 {
		line, col = 1, 1
	}
	return result{file: r.file, lints: r.lints, unresolved: []Unresolved{{Pos: Position{File: pe.File, Line: line, Column: col},
		Origin: origin, Expr: "(file)", Reason: "the file does not parse (" + pe.Msg + "): image references in it cannot be checked"}}}
}

// readFile reads abs into buf (grown as needed), failing for files over
// maxSize bytes.
func readFile(abs string, maxSize int64, buf []byte) ([]byte, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	defer f.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > maxSize {
			return nil, &ParseError{Msg: fmt.Sprintf("file is larger than %d bytes", maxSize)}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", abs, err)
		}
	}
}

func merge(inv *Inventory, res []result) {
	var nm, nl, ns, ni, nu int
	for _, r := range res {
		nm, nl, ns, ni, nu = nm+len(r.modules), nl+len(r.locks), ns+len(r.specs), ni+len(r.images), nu+len(r.unresolved)
	}
	inv.Files = slices.Grow(inv.Files, len(res))
	inv.Modules = slices.Grow(inv.Modules, nm)
	inv.Locks = slices.Grow(inv.Locks, nl)
	inv.Specs = slices.Grow(inv.Specs, ns)
	inv.Images = slices.Grow(inv.Images, ni)
	inv.Unresolved = slices.Grow(inv.Unresolved, nu)
	for _, r := range res {
		inv.Files = append(inv.Files, r.file)
		inv.Modules = append(inv.Modules, r.modules...)
		inv.Locks = append(inv.Locks, r.locks...)
		inv.Specs = append(inv.Specs, r.specs...)
		inv.Images = append(inv.Images, r.images...)
		inv.Unresolved = append(inv.Unresolved, r.unresolved...)
		inv.Lints = append(inv.Lints, r.lints...)
	}
}

// applyEnv applies the environment overlay env to every workspace that
// defines it; no workspace defining it is an error, as in Dagger.
func applyEnv(inv *Inventory, env string) error {
	found := false
	first := ""
	for i := range inv.Modules {
		m := &inv.Modules[i]
		if !IsWorkspace(m.Format) {
			continue
		}
		if first == "" {
			first = m.Pos.File
		}
		ok, err := m.ApplyEnv(env)
		if err != nil {
			return err
		}
		found = found || ok
	}
	if !found {
		defined := "no envs defined"
		if names := EnvNames(inv.Modules); len(names) > 0 {
			defined = "defined envs: " + strings.Join(names, ", ")
		}
		if first == "" {
			return &ParseError{File: "dagger.toml", Msg: "workspace env " + quote(env) + " needs a dagger.toml workspace, and there is none"}
		}
		return &ParseError{File: first, Msg: "workspace env " + quote(env) + " is not defined (" + defined + ")"}
	}
	inv.Env = env
	return nil
}

// resolveAcrossFiles resolves the Go From arguments that name constants
// of another file of the same package; the constants so used are not
// reported again at their definition.
func resolveAcrossFiles(inv *Inventory, res []result, idx sourceIndex) {
	files := map[string]*goFileInfo{}
	src := map[string]*srcFileInfo{}
	for _, r := range res {
		if r.goInfo != nil && r.err == nil {
			files[r.file] = r.goInfo
		}
		if r.srcInfo != nil && r.err == nil {
			src[r.file] = r.srcInfo
		}
	}
	if len(files) == 0 && len(src) == 0 {
		return
	}
	imgs, un, used := resolveGoPackages(files)
	simgs, sun, sused := resolveSrcModules(src, idx.owner)
	imgs, un = append(imgs, simgs...), append(un, sun...)
	for p := range sused {
		used[p] = true
	}
	if len(used) > 0 {
		inv.Images = slices.DeleteFunc(inv.Images, func(im ImageRef) bool {
			return im.Via == "const" && im.Literal == nil && used[im.Pos]
		})
	}
	inv.Images = append(inv.Images, imgs...)
	inv.Unresolved = append(inv.Unresolved, un...)
}
