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
		r.images, r.unresolved, r.err = ScanGo(j.rel, data)
	case kindPython:
		r.images, r.unresolved, r.err = ScanPython(j.rel, data)
	case kindTS:
		r.images, r.unresolved, r.err = ScanTypeScript(j.rel, data)
	}
	return r
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
	}
}
