package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pinline/pinline/hack/internal/devimage"
)

func seed(ctx context.Context, reg, dir, busybox, goroot string) (*Seeded, error) {
	bbKey, err := fileKey(busybox)
	if err != nil {
		return nil, err
	}
	bbLayer, err := cachedLayer(filepath.Join(dir, "layers", "busybox-"+bbKey+".tar.gz"), func() ([]entry, error) {
		return busyboxEntries(busybox, filepath.Join(dir, "layers"))
	})
	if err != nil {
		return nil, fmt.Errorf("busybox layer: %w", err)
	}
	goVersion, err := os.ReadFile(filepath.Join(goroot, "VERSION"))
	if err != nil {
		return nil, fmt.Errorf("go installation: %w", err)
	}
	gover, _, _ := strings.Cut(string(goVersion), "\n")
	goKey := shortHash([]byte(gover + "\x00" + goroot))
	goLayer, err := cachedLayer(filepath.Join(dir, "layers", "go-"+goKey+".tar.gz"), func() ([]entry, error) {
		return goEntries(goroot)
	})
	if err != nil {
		return nil, fmt.Errorf("go layer: %w", err)
	}

	bbImg, err := devimage.Image(v1.Config{
		Env:        []string{"PATH=/bin:/usr/bin", "HOME=/root"},
		Cmd:        []string{"sh"},
		WorkingDir: "/",
	}, bbLayer)
	if err != nil {
		return nil, err
	}
	goImg, err := devimage.Image(v1.Config{
		Env: []string{"PATH=/usr/local/go/bin:/bin:/usr/bin", "HOME=/root", "GOROOT=/usr/local/go",
			"CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOPROXY=off", "GOFLAGS=-buildvcs=false"},
		Cmd:        []string{"sh"},
		WorkingDir: "/",
	}, bbLayer, goLayer)
	if err != nil {
		return nil, err
	}

	s := &Seeded{Registry: reg, Images: map[string]Image{}}
	for _, it := range []struct {
		name, repo, tag string
		img             v1.Image
	}{
		{"busybox", "pinline/busybox", "latest", bbImg},
		{"go", "pinline/go", gover, goImg},
	} {
		p, err := devimage.Push(ctx, reg, it.repo, it.tag, it.img)
		if err != nil {
			return nil, fmt.Errorf("push %s: %w", it.name, err)
		}
		s.Images[it.name] = Image{Ref: p.Ref, Tag: p.Tag, Digest: p.Digest}
	}
	return s, nil
}

// cachedLayer returns the layer stored at path, building it first when
// it is not there yet.
func cachedLayer(path string, entries func() ([]entry, error)) (v1.Layer, error) {
	if _, err := os.Stat(path); err != nil {
		es, err := entries()
		if err != nil {
			return nil, err
		}
		if err := writeLayer(path, es); err != nil {
			return nil, err
		}
	}
	return tarball.LayerFromFile(path, tarball.WithMediaType(types.OCILayer))
}

func fileKey(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func shortHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])[:16]
}
