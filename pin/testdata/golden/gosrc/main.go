package main

import (
	"dagger/gosrc/internal/dagger"
	"fmt"
)

const goImage = "REGISTRY/lib/golang:1.22@sha256:49cc5f6a00b8a953db01fc2e15b0981be8615838d3ae284abaadec9cb3cf9832" // renovate: datasource=docker

var (
	// dag.Container().From("REGISTRY/lib/alpine:3.20") in a comment is left alone.
	baseImage string = "REGISTRY/lib/alpine:3.20@sha256:c13a61a40342f645950df8630442508ee8872e534263cce9b5ab1fa21a55245a"
	version          = "1.22"
)

type Gosrc struct{}

/* block comment: From("REGISTRY/lib/alpine:3.20") */

func (m *Gosrc) Build() *dagger.Container {
	c := dag.Container().From("REGISTRY/lib/alpine:3.20@sha256:c13a61a40342f645950df8630442508ee8872e534263cce9b5ab1fa21a55245a")
	d := dag.Container().
		From(`REGISTRY/lib/tools:latest@sha256:ff1af8b4cea6394311c8e485c9ba8ca52facc842775d47bc0e2f452357832ff4`)
	e := dag.Container().From(fmt.Sprintf("REGISTRY/lib/golang:%s", version))
	f := dag.Container().From("REGISTRY/lib/golang:1.22@sha256:0000000000000000000000000000000000000000000000000000000000000000")
	r := '"'
	_ = r
	_, _, _ = d, e, f
	return c.WithExec([]string{"echo", "image:tag"})
}

// WithBase takes the base image as an argument with a default.
func (m *Gosrc) WithBase(
	// +optional
	// +default="REGISTRY/lib/alpine:3.20@sha256:c13a61a40342f645950df8630442508ee8872e534263cce9b5ab1fa21a55245a"
	base string,
) string {
	return base
}
