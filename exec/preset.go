package exec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Preset is how one language runs: an image pinned by digest, the file the
// snippet is written to, the commands that compile and run it, setup
// commands, package-manager cache volumes and environment.
type Preset struct {
	// Name is the preset's key (python, rust, ...); set when loaded.
	Name string `json:"-" yaml:"-"`
	// Image is the image reference with its digest (repo[:tag]@sha256:…).
	Image string `json:"image" yaml:"image"`
	// File is the snippet's file name under Workdir.
	File string `json:"file" yaml:"file"`
	// Compile, when set, runs before Run; its failure is a compile error.
	Compile []string `json:"compile,omitempty" yaml:"compile,omitempty"`
	// Run runs the snippet (argv, in Workdir, as the unprivileged user).
	Run []string `json:"run" yaml:"run"`
	// Setup commands run as root before the snippet (argv each).
	Setup [][]string `json:"setup,omitempty" yaml:"setup,omitempty"`
	// Caches maps cache volume names to mount paths (package managers).
	Caches map[string]string `json:"caches,omitempty" yaml:"caches,omitempty"`
	// Env is set for setup, compile and run.
	Env map[string]string `json:"env,omitempty" yaml:"env,omitempty"`
	// Packages names the import detector and installer: python, ruby,
	// node, go, perl, php or empty (no detection).
	Packages string `json:"packages,omitempty" yaml:"packages,omitempty"`
	// Files are written before setup (absolute path → content), owned by
	// the unprivileged user.
	Files map[string]string `json:"files,omitempty" yaml:"files,omitempty"`
	// Parent is the preset whose image this one's extends (builder only).
	Parent string `json:"parent,omitempty" yaml:"parent,omitempty"`
	// Debian lists the Debian packages the image was built from (lock
	// file only; informational).
	Debian []string `json:"debian,omitempty" yaml:"debian,omitempty"`
}

// Workdir is where the snippet is written and runs.
const Workdir = "/work"

// User is the unprivileged user snippets run as (built into every preset
// image: uid and gid 1000, home /home/runner).
const User = "1000:1000"

// digestRef reports whether ref is pinned by a sha256 digest.
func digestRef(ref string) bool {
	_, d, ok := strings.Cut(ref, "@sha256:")
	if !ok || len(d) != 64 {
		return false
	}
	for _, c := range d {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// Validate checks a preset: image by digest, a file name without
// directories, a run command.
func (p Preset) Validate() error {
	switch {
	case p.Image == "":
		return fmt.Errorf("preset %q: image is required", p.Name)
	case !digestRef(p.Image):
		return fmt.Errorf("preset %q: image %q is not pinned by digest (want repo@sha256:<64 hex>); a tag alone is refused", p.Name, p.Image)
	case p.File == "" || strings.ContainsAny(p.File, "/\\") || p.File == "." || p.File == "..":
		return fmt.Errorf("preset %q: file must be a plain file name, got %q", p.Name, p.File)
	case len(p.Run) == 0:
		return fmt.Errorf("preset %q: run is required", p.Name)
	}
	if p.Packages != "" {
		if _, ok := detectors[p.Packages]; !ok {
			return fmt.Errorf("preset %q: unknown packages kind %q, valid kinds are %q", p.Name, p.Packages, slices.Sorted(maps.Keys(detectors)))
		}
	}
	for name, path := range p.Caches {
		if name == "" || !strings.HasPrefix(path, "/") {
			return fmt.Errorf("preset %q: cache %q needs an absolute path, got %q", p.Name, name, path)
		}
	}
	return nil
}
