package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pinline/pinline/exec"
)

type builder struct {
	cache, mirror, suite string

	mu     sync.Mutex
	layers map[string]string // preset → layer file
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

// mmdebstrap makes a root file system tarball with the base packages plus
// pkgs, reusing downloaded .debs from the cache.
func (b *builder) mmdebstrap(ctx context.Context, tag string, pkgs []string, out string) error {
	debs := filepath.Join(b.cache, "debs")
	own := filepath.Join(b.cache, "work", tag+"-debs")
	if err := os.MkdirAll(own, 0o755); err != nil {
		return err
	}
	args := []string{"--mode=root", "--variant=apt", "--format=tar",
		"--include=" + strings.Join(append(append([]string{}, exec.BaseDebian...), pkgs...), ","),
		"--aptopt=Acquire::Check-Valid-Until \"false\"", "--aptopt=APT::Install-Recommends \"false\"",
		"--skip=cleanup/apt/lists", "--skip=download/empty",
		"--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/ && cp -l " + debs + "/*.deb \"$1\"/var/cache/apt/archives/ 2>/dev/null || true",
		"--customize-hook=cp -n \"$1\"/var/cache/apt/archives/*.deb " + own + "/ 2>/dev/null || true",
	}
	for _, o := range dpkgOpts {
		args = append(args, "--dpkgopt="+o)
	}
	// No fsync per unpacked file: the root file system is a throw-away
	// tarball. Speed only, the content is the same, so not in the key.
	args = append(args, "--dpkgopt=force-unsafe-io")
	// OpenJDK's postinst registers its manual page with update-alternatives,
	// which fails when the (excluded) man directory does not exist.
	if slices.ContainsFunc(pkgs, func(p string) bool { return strings.HasPrefix(p, "openjdk-") }) {
		args = append(args, `--essential-hook=mkdir -p "$1"/usr/share/man/man1`)
	}
	for _, h := range setupUser {
		args = append(args, "--customize-hook="+h)
	}
	args = append(args, b.suite, out+".tmp", b.mirror)
	cmd := osexec.CommandContext(ctx, "mmdebstrap", args...)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1704067200")
	// mmdebstrap unmounts and removes its chroot on TERM, not on KILL.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	logf, err := os.Create(filepath.Join(b.cache, "work", tag+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	fmt.Fprintf(os.Stderr, "[presets] mmdebstrap %s (%s)\n", tag, strings.Join(pkgs, " "))
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mmdebstrap %s: %w (log %s)", tag, err, logf.Name())
	}
	// Keep the downloaded .debs for the next build (hard links: same
	// file system).
	ents, _ := os.ReadDir(own)
	for _, e := range ents {
		_ = os.Link(filepath.Join(own, e.Name()), filepath.Join(debs, e.Name()))
	}
	_ = os.RemoveAll(own)
	return os.Rename(out+".tmp", out)
}

// rootfs returns the full root file system tar of a preset ("" is the base),
// building it when needed.
func (b *builder) rootfs(ctx context.Context, presets map[string]exec.Preset, name string) (string, error) {
	key := "base"
	var pkgs []string
	if name != "" {
		key = b.key(presets, name)
		for _, n := range b.chain(presets, name) {
			pkgs = append(pkgs, presets[n].Debian...)
		}
	} else {
		h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%q\x00%q\x00%q", builderVersion, b.mirror, b.suite, exec.BaseDebian, dpkgOpts, setupUser))
		key = "base-" + hex.EncodeToString(h[:])[:16]
	}
	path := filepath.Join(b.cache, "work", "rootfs-"+name+"-"+key+".tar")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tag := name
	if tag == "" {
		tag = "base"
	}
	return path, b.mmdebstrap(ctx, tag, pkgs, path)
}

// baseLayer is the shared base layer.
func (b *builder) baseLayer(ctx context.Context) (v1.Layer, error) {
	root, err := b.rootfs(ctx, nil, "")
	if err != nil {
		return nil, err
	}
	path := strings.TrimSuffix(filepath.Join(b.cache, "layers", filepath.Base(root)), ".tar") + ".tar.gz"
	if _, err := os.Stat(path); err != nil {
		if err := diffLayer("", root, path); err != nil {
			return nil, err
		}
	}
	return tarball.LayerFromFile(path, tarball.WithMediaType(types.OCILayer))
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
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: runtime.GOARCH, OS: "linux", Config: cfg, RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return "", err
	}
	if img, err = mutate.AppendLayers(img, layers...); err != nil {
		return "", err
	}
	ref, err := name.NewTag(reg+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return ref.String() + "@" + d.String(), nil
}
