// Command presets builds the `pinline exec` language preset images from
// Debian packages and pins them by digest in a presets lock file.
//
// Every image is a stack of layers: one shared base (mmdebstrap's apt
// variant plus exec.BaseDebian, an unprivileged user runner 1000:1000, the
// apt package lists kept for package installs), bootstrapped once; then
// one layer per preset with the files its Debian packages add: the
// difference between its parent's root file system (the base, or the
// preset it extends: typescript on javascript) and that tree with the
// packages installed by apt in a chroot. Layers are cached under -cache
// keyed by the package lists and builderVersion, with their digests
// beside them, so a warm run only pushes (the registry already has the
// blobs) and takes seconds.
//
// This program is part of the test and CI tooling, not of pinline.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pinline/pinline/exec"
	"github.com/pinline/pinline/hack/internal/devimage"
	"github.com/pinline/pinline/internal/atomicfile"
)

// builderVersion is part of every cache key: bump it when the way layers
// are made changes.
const builderVersion = "2"

func main() {
	if err := realMain(); err != nil {
		fmt.Fprintf(os.Stderr, "presets: %v\n", err)
		os.Exit(1)
	}
}

func realMain() error {
	reg := devimage.RegistryFlag(flag.CommandLine, "registry", "registry to push to")
	cache := flag.String("cache", "", "cache directory (required)")
	lockPath := flag.String("lock", "", "write the presets lock file here (required)")
	mirror := flag.String("mirror", "http://deb.debian.org/debian", "Debian mirror")
	suite := flag.String("suite", "bookworm", "Debian suite")
	only := flag.String("only", "", "comma-separated presets to build (default all)")
	jobs := flag.Int("j", 2, "preset installs at once")
	flag.Parse()
	if *cache == "" || *lockPath == "" {
		return fmt.Errorf("-cache and -lock are required")
	}
	if err := devimage.Loopback(*reg); err != nil {
		return fmt.Errorf("-registry: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b := &builder{cache: *cache, mirror: *mirror, suite: *suite, layers: map[string]string{}, trees: map[string]*tree{}}
	for _, d := range []string{"layers", "debs", "work"} {
		if err := os.MkdirAll(filepath.Join(b.cache, d), 0o755); err != nil {
			return err
		}
	}
	presets := exec.Builtin()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range presets {
			if !yield(n) {
				return
			}
		}
	})
	if *only != "" {
		names = strings.Split(*only, ",")
	}
	start := time.Now()
	base, err := b.baseLayer(ctx)
	if err != nil {
		return fmt.Errorf("base: %w", err)
	}
	// Parents first: every preset's own layer diffs against its parent's
	// full root file system.
	var mu sync.Mutex
	built := map[string]error{}
	sem := make(chan struct{}, max(*jobs, 1))
	var wg sync.WaitGroup
	var build func(name string) error
	once := map[string]*sync.Once{}
	for n := range presets {
		once[n] = &sync.Once{}
	}
	build = func(name string) error {
		p, ok := presets[name]
		if !ok {
			return fmt.Errorf("unknown preset %q", name)
		}
		once[name].Do(func() {
			var err error
			if p.Parent != "" {
				err = build(p.Parent)
			}
			if err == nil {
				sem <- struct{}{}
				err = b.presetLayer(ctx, presets, name)
				<-sem
			}
			mu.Lock()
			built[name] = err
			mu.Unlock()
		})
		mu.Lock()
		defer mu.Unlock()
		return built[name]
	}
	for _, n := range names {
		wg.Add(1)
		go func() { defer wg.Done(); _ = build(n) }()
	}
	wg.Wait()
	for _, n := range names {
		if err := built[n]; err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}

	lock := exec.Lock{Version: 1, Presets: map[string]exec.Preset{}}
	if old, err := exec.ReadLock(*lockPath); err == nil {
		lock = old
	}
	for _, n := range names {
		p := presets[n]
		layers := []v1.Layer{base}
		for _, l := range b.chain(presets, n) {
			layer, err := openLayer(b.layers[l])
			if err != nil {
				return err
			}
			layers = append(layers, layer)
		}
		ref, err := push(ctx, *reg, "pinline/exec-"+n, b.key(presets, n), imageConfig(p), layers)
		if err != nil {
			return fmt.Errorf("push %s: %w", n, err)
		}
		p.Image = ref
		p.Debian = b.debian(presets, n)
		lock.Presets[n] = p
		fmt.Fprintf(os.Stderr, "[presets] %s %s\n", n, ref)
	}
	out, err := json.MarshalIndent(lock, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*lockPath, append(out, '\n'), 0o644); err != nil {
		return err
	}
	// The full root file systems were only needed to make the layers.
	if full, _ := filepath.Glob(filepath.Join(b.cache, "work", "rootfs-*.tar")); *only == "" {
		for _, f := range full {
			_ = os.Remove(f)
		}
	}
	fmt.Fprintf(os.Stderr, "[presets] %d presets in %s (%.1fs)\n", len(names), *lockPath, time.Since(start).Seconds())
	return nil
}

// chain is the presets whose layers stack on the base for name, outermost
// last.
func (b *builder) chain(presets map[string]exec.Preset, name string) []string {
	var out []string
	for n := name; n != ""; n = presets[n].Parent {
		if len(presets[n].Debian) > 0 { // no packages, no layer of its own
			out = append([]string{n}, out...)
		}
	}
	return out
}

// debian is the full Debian package list of a preset's image.
func (b *builder) debian(presets map[string]exec.Preset, name string) []string {
	pkgs := slices.Clone(exec.BaseDebian)
	for _, n := range b.chain(presets, name) {
		pkgs = append(pkgs, presets[n].Debian...)
	}
	sort.Strings(pkgs)
	return slices.Compact(pkgs)
}

func imageConfig(p exec.Preset) v1.Config {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/home/runner", "LANG=C.UTF-8",
	}
	return v1.Config{Env: env, User: exec.User, WorkingDir: exec.Workdir, Cmd: []string{"bash"}}
}
