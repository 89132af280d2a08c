package main

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pinline/pinline/exec"
	"github.com/pinline/pinline/hack/internal/devimage"
	"github.com/pinline/pinline/internal/atomicfile"
)

type builder struct {
	cache, mirror, suite string

	mu     sync.Mutex
	layers map[string]string // preset → layer file
	trees  map[string]*tree  // root file system tar → its build
}

// dpkg options that leave out documentation, manuals and translations.
var dpkgOpts = []string{
	"path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright",
	"path-exclude=/usr/share/man/*", "path-exclude=/usr/share/info/*",
	"path-exclude=/usr/share/locale/*", "path-include=/usr/share/locale/locale.alias",
}

// setupUser adds the unprivileged user, the work directory and the apt
// settings the snapshot mirror needs.
var setupUser = []string{
	`echo 'runner:x:1000:1000:runner:/home/runner:/bin/bash' >> "$1/etc/passwd"`,
	`echo 'runner:x:1000:' >> "$1/etc/group"`,
	`echo 'runner:*:19000:0:99999:7:::' >> "$1/etc/shadow"`,
	`mkdir -p "$1/home/runner" "$1/work" && chown 1000:1000 "$1/home/runner" "$1/work"`,
	`printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\nAPT::Install-Recommends "false";\n' > "$1/etc/apt/apt.conf.d/99pinline"`,
}

func (b *builder) key(presets map[string]exec.Preset, name string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%q\x00%q\x00%q\x00", builderVersion, b.mirror, b.suite, exec.BaseDebian, dpkgOpts, setupUser)
	for _, n := range b.chain(presets, name) {
		fmt.Fprintf(h, "%s\x00%q\x00", n, presets[n].Debian)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// mmdebstrap makes the base root file system tarball (exec.BaseDebian on
// mmdebstrap's apt variant), reusing downloaded .debs from the cache.
func (b *builder) mmdebstrap(ctx context.Context, out string) error {
	own, err := b.ownDebs("base")
	if err != nil {
		return err
	}
	args := []string{"--mode=root", "--variant=apt", "--format=tar",
		"--include=" + strings.Join(exec.BaseDebian, ","),
		"--aptopt=Acquire::Check-Valid-Until \"false\"", "--aptopt=APT::Install-Recommends \"false\"",
		"--skip=cleanup/apt/lists", "--skip=download/empty",
		"--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/ && cp -l " + b.debs() + "/*.deb \"$1\"/var/cache/apt/archives/ 2>/dev/null || true",
		"--customize-hook=cp -n \"$1\"/var/cache/apt/archives/*.deb " + own + "/ 2>/dev/null || true",
		// OpenJDK's postinst (installed later, onto this base) registers
		// its manual page with update-alternatives, which fails when the
		// (excluded) man directory does not exist.
		`--customize-hook=mkdir -p "$1"/usr/share/man/man1`,
	}
	for _, o := range dpkgOpts {
		args = append(args, "--dpkgopt="+o)
	}
	for _, h := range setupUser {
		args = append(args, "--customize-hook="+h)
	}
	args = append(args, b.suite, out+".tmp", b.mirror)
	// mmdebstrap unmounts and removes its chroot on TERM, not on KILL.
	if err := b.run(ctx, "base", "mmdebstrap", args, exec.BaseDebian); err != nil {
		return err
	}
	b.keepDebs(own)
	return os.Rename(out+".tmp", out)
}

// installScript installs Debian packages into a copy of a parent root file
// system: the parent tarball is unpacked, apt-get (the parent's own, with
// the package lists the base was built with: the same package versions
// every time) installs the packages in a chroot, the files a build leaves
// behind (logs, caches, the host's resolv.conf) are removed, and the tree
// is packed again. It runs in a mount namespace of its own: /proc is
// unmounted whatever happens. Arguments: root parent debs own out pkgs...
const installScript = `set -euo pipefail
root=$1 parent=$2 debs=$3 own=$4 out=$5; shift 5
rm -rf "$root"; mkdir -p "$root"
tar -C "$root" --numeric-owner -xpf "$parent"
mkdir -p "$root/var/cache/apt/archives/partial"
cp -l "$debs"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
cp -a "$root/etc/resolv.conf" "$root/.resolv.conf.pinline" 2>/dev/null || true
cat /etc/resolv.conf > "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" \
  apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io -- "$@"
umount "$root/proc"
cp -n "$root"/var/cache/apt/archives/*.deb "$own"/ 2>/dev/null || true
rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root/usr/sbin/policy-rc.d" \
  "$root"/var/log/dpkg.log "$root"/var/log/alternatives.log "$root"/var/log/apt/history.log \
  "$root"/var/log/apt/term.log "$root"/var/log/apt/eipp.log.xz "$root"/var/cache/ldconfig/aux-cache
rm -rf "$root"/var/cache/apt/archives/partial/* "$root"/tmp/* "$root"/run/*
if [ -e "$root/.resolv.conf.pinline" ]; then mv "$root/.resolv.conf.pinline" "$root/etc/resolv.conf"; else rm -f "$root/etc/resolv.conf"; fi
tar -C "$root" --numeric-owner --sort=name -cf "$out" .
rm -rf "$root"
`

// install makes the root file system tarball of a preset: its packages
// installed onto its parent's root file system.
func (b *builder) install(ctx context.Context, tag, parent string, pkgs []string, out string) error {
	own, err := b.ownDebs(tag)
	if err != nil {
		return err
	}
	root := filepath.Join(b.cache, "work", "root-"+tag)
	args := append([]string{"--mount", "--propagation", "private", "bash", "-c", installScript, "install",
		root, parent, b.debs(), own, out + ".tmp"}, pkgs...)
	if err := b.run(ctx, tag, "unshare", args, pkgs); err != nil {
		_ = os.RemoveAll(root)
		return err
	}
	b.keepDebs(own)
	return os.Rename(out+".tmp", out)
}

func (b *builder) debs() string { return filepath.Join(b.cache, "debs") }

// ownDebs is where one build collects the .debs it used.
func (b *builder) ownDebs(tag string) (string, error) {
	own := filepath.Join(b.cache, "work", tag+"-debs")
	return own, os.MkdirAll(own, 0o755)
}

// keepDebs keeps the .debs a build downloaded for the next build (hard
// links: same file system).
func (b *builder) keepDebs(own string) {
	ents, _ := os.ReadDir(own)
	for _, e := range ents {
		_ = os.Link(filepath.Join(own, e.Name()), filepath.Join(b.debs(), e.Name()))
	}
	_ = os.RemoveAll(own)
}

// run runs one build step with its output in work/<tag>.log.
func (b *builder) run(ctx context.Context, tag, prog string, args, pkgs []string) error {
	cmd := osexec.CommandContext(ctx, prog, args...)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1704067200")
	// TERM first: mmdebstrap removes its chroot, unshare's child ends and
	// the kernel drops its mounts.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	logf, err := os.Create(filepath.Join(b.cache, "work", tag+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	fmt.Fprintf(os.Stderr, "[presets] %s %s (%s)\n", prog, tag, strings.Join(pkgs, " "))
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w (log %s)", prog, tag, err, logf.Name())
	}
	fmt.Fprintf(os.Stderr, "[presets] %s done in %.1fs\n", tag, time.Since(start).Seconds())
	return nil
}

// rootfs returns the full root file system tar of a preset ("" is the base),
// building it when needed: the base with mmdebstrap (or, when its layer is
// cached, from the layer: it holds the whole tree), a preset by installing
// its packages onto its parent's. Concurrent calls for one tree build it
// once.
func (b *builder) rootfs(ctx context.Context, presets map[string]exec.Preset, name string) (string, error) {
	path := filepath.Join(b.cache, "work", "rootfs-"+name+"-"+b.treeKey(presets, name)+".tar")
	b.mu.Lock()
	o, ok := b.trees[path]
	if !ok {
		o = &tree{}
		b.trees[path] = o
	}
	b.mu.Unlock()
	o.once.Do(func() {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if name == "" {
			if layer := b.baseLayerPath(); fileExists(layer) {
				o.err = gunzip(layer, path)
				return
			}
			o.err = b.mmdebstrap(ctx, path)
			return
		}
		parent, err := b.rootfs(ctx, presets, presets[name].Parent)
		if err != nil {
			o.err = err
			return
		}
		if len(presets[name].Debian) == 0 {
			o.err = os.Link(parent, path)
			return
		}
		o.err = b.install(ctx, name, parent, presets[name].Debian, path)
	})
	return path, o.err
}

// tree is one root file system's build.
type tree struct {
	once sync.Once
	err  error
}

// treeKey names a root file system: the base's key, or a preset's.
func (b *builder) treeKey(presets map[string]exec.Preset, name string) string {
	if name != "" {
		return b.key(presets, name)
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%q\x00%q\x00%q", builderVersion, b.mirror, b.suite, exec.BaseDebian, dpkgOpts, setupUser))
	return "base-" + hex.EncodeToString(h[:])[:16]
}

func (b *builder) baseLayerPath() string {
	return filepath.Join(b.cache, "layers", "rootfs--"+b.treeKey(nil, "")+".tar.gz")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// gunzip unpacks a gzipped layer into a tar file.
func gunzip(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	o, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(out + ".tmp")
	if _, err := io.Copy(o, zr); err != nil {
		o.Close()
		return err
	}
	if err := o.Close(); err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}

// baseLayer is the shared base layer.
func (b *builder) baseLayer(ctx context.Context) (v1.Layer, error) {
	root, err := b.rootfs(ctx, nil, "")
	if err != nil {
		return nil, err
	}
	path := b.baseLayerPath()
	if _, err := os.Stat(path); err != nil {
		if err := diffLayer("", root, path); err != nil {
			return nil, err
		}
	}
	return openLayer(path)
}

// presetLayer builds (or finds) the layer of one preset: its root file
// system minus its parent's (the base for presets without a parent).
func (b *builder) presetLayer(ctx context.Context, presets map[string]exec.Preset, name string) error {
	if len(presets[name].Debian) == 0 {
		return nil
	}
	path := filepath.Join(b.cache, "layers", name+"-"+b.key(presets, name)+".tar.gz")
	if _, err := os.Stat(path); err == nil {
		b.mu.Lock()
		b.layers[name] = path
		b.mu.Unlock()
		return nil
	}
	parent, err := b.rootfs(ctx, presets, presets[name].Parent)
	if err != nil {
		return err
	}
	root, err := b.rootfs(ctx, presets, name)
	if err != nil {
		return err
	}
	if err := diffLayer(parent, root, path); err != nil {
		return err
	}
	b.mu.Lock()
	b.layers[name] = path
	b.mu.Unlock()
	return nil
}

func push(ctx context.Context, reg, repo, tag string, cfg v1.Config, layers []v1.Layer) (string, error) {
	img, err := devimage.Image(cfg, layers...)
	if err != nil {
		return "", err
	}
	p, err := devimage.Push(ctx, reg, repo, tag, img)
	return p.Ref, err
}

// layerFile is a cached layer file with its digests kept beside it
// (<layer>.digests.json): opening it again costs no hashing, and the push
// skips blobs the registry has (a warm run reads none of the ~1 GB).
type layerFile struct {
	path string
	sums layerSums
}

type layerSums struct {
	Digest v1.Hash `json:"digest"`
	DiffID v1.Hash `json:"diffID"`
	Size   int64   `json:"size"`
}

func (l *layerFile) Digest() (v1.Hash, error)            { return l.sums.Digest, nil }
func (l *layerFile) DiffID() (v1.Hash, error)            { return l.sums.DiffID, nil }
func (l *layerFile) Size() (int64, error)                { return l.sums.Size, nil }
func (l *layerFile) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
func (l *layerFile) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }
func (l *layerFile) Uncompressed() (io.ReadCloser, error) { // a v1.Layer needs it; pushes do not
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

// openLayer opens a cached gzipped layer, hashing it only the first time.
func openLayer(path string) (v1.Layer, error) {
	side := path + ".digests.json"
	l := &layerFile{path: path}
	if b, err := os.ReadFile(side); err == nil && json.Unmarshal(b, &l.sums) == nil && l.sums.Size > 0 {
		if st, err := os.Stat(path); err == nil && st.Size() == l.sums.Size {
			return l, nil
		}
	}
	t, err := tarball.LayerFromFile(path, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	if l.sums.Digest, err = t.Digest(); err != nil {
		return nil, err
	}
	if l.sums.DiffID, err = t.DiffID(); err != nil {
		return nil, err
	}
	if l.sums.Size, err = t.Size(); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(l.sums)
	if err := atomicfile.Write(side, b, 0o644); err != nil {
		return nil, err
	}
	return l, nil
}
