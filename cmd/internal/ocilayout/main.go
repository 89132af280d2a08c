// Command ocilayout assembles a linux/amd64 OCI image from layer tarballs and
// writes it as an OCI image layout directory, printing the manifest digest.
// hack/gosdk.sh uses it to build the Go SDK content the module engine loads
// (the engine reads it from an OCI layout by the digest in
// DAGGER_GO_SDK_MANIFEST_DIGEST), so no registry and no crane are needed.
//
//	ocilayout -out DIR [-env K=V]... [-workdir /] LAYER.tar...
//
// This program is part of the test and demo tooling, not of pinline.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	d, err := realMain(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "ocilayout: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(d)
}

func realMain(args []string) (string, error) {
	fs := flag.NewFlagSet("ocilayout", flag.ContinueOnError)
	out := fs.String("out", "", "output OCI layout directory (must not exist)")
	workdir := fs.String("workdir", "/", "image working directory")
	var env multi
	fs.Var(&env, "env", "image environment variable K=V (repeatable)")
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if *out == "" || fs.NArg() == 0 {
		return "", errors.New("usage: ocilayout -out DIR [-env K=V]... LAYER.tar ...: -out and at least one layer are required")
	}
	if _, err := os.Stat(*out); err == nil {
		return "", fmt.Errorf("%s exists", *out)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, p := range fs.Args() {
		l, err := tarball.LayerFromFile(p, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return "", fmt.Errorf("layer %s: %w", p, err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return "", fmt.Errorf("layer %s: %w", p, err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = env
	cf.Config.WorkingDir = *workdir
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return "", err
	}
	p, err := layout.Write(*out, empty.Index)
	if err != nil {
		return "", err
	}
	if err := p.AppendImage(img, layout.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"})); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}
