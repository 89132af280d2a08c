package devimage

import (
	"context"
	"flag"
	"fmt"
	"net"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DefaultAddr is the development registry's address (hack/registry.sh).
const DefaultAddr = "127.0.0.1:5123"

// RegistryFlag defines the flag that names the registry (listen or push
// address), defaulting to DefaultAddr; Loopback checks its value.
func RegistryFlag(fs *flag.FlagSet, name, usage string) *string {
	return fs.String(name, DefaultAddr, usage+" (loopback only)")
}

// Loopback checks that addr is host:port with a loopback IP: the
// development registry is never served or pushed to elsewhere.
func Loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("registry address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("registry address %s: only loopback addresses are allowed", addr)
	}
	return nil
}

// Image builds an OCI image for this machine's platform from cfg and
// layers. It has no creation time, so its digest depends on the layers
// and cfg only.
func Image(cfg v1.Config, layers ...v1.Layer) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Config:       cfg,
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.AppendLayers(img, layers...)
}

// Pushed is a pushed image.
type Pushed struct {
	Ref    string // registry/repo:tag@sha256:…
	Tag    string // registry/repo:tag
	Digest string // sha256:…
}

// Push pushes img as reg/repo:tag (plain HTTP: loopback) and returns its
// digest-pinned reference.
func Push(ctx context.Context, reg, repo, tag string, img v1.Image) (Pushed, error) {
	if err := Loopback(reg); err != nil {
		return Pushed{}, err
	}
	ref, err := name.NewTag(reg+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return Pushed{}, err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return Pushed{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return Pushed{}, err
	}
	return Pushed{Ref: ref.String() + "@" + d.String(), Tag: ref.String(), Digest: d.String()}, nil
}
