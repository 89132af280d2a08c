// A Dagger module that pulls images by tag.
package main

import (
	"fmt"

	"dagger/unpinned/internal/dagger"
)

const goVersion = "1.22"

type Unpinned struct{}

// Build compiles the project in a tag-pinned image.
func (m *Unpinned) Build(src *dagger.Directory) *dagger.Container {
	return dag.Container().
		From("golang:1.22").
		WithDirectory("/src", src)
}

// Lint uses an image built from a version string.
func (m *Unpinned) Lint() *dagger.Container {
	return dag.Container().From(fmt.Sprintf("golangci/golangci-lint:v%s", goVersion))
}
