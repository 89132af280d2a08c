package main

import (
	"dagger/gosrc/internal/dagger"
	"fmt"
)

const goImage = "REGISTRY/lib/golang:1.22" // renovate: datasource=docker

var (
	// dag.Container().From("REGISTRY/lib/alpine:3.20") in a comment is left alone.
	baseImage string = "REGISTRY/lib/alpine:3.20"
	version          = "1.22"
)

type Gosrc struct{}

/* block comment: From("REGISTRY/lib/alpine:3.20") */

func (m *Gosrc) Build() *dagger.Container {
	c := dag.Container().From("REGISTRY/lib/alpine:3.20")
	d := dag.Container().
		From(`REGISTRY/lib/tools`)
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
	// +default="REGISTRY/lib/alpine:3.20"
	base string,
) string {
	return base
}
