// A Dagger module whose every image is pinned by digest.
package main

import (
	"context"

	"dagger/clean/internal/dagger"
)

// alpineImage is the base of the test container.
const alpineImage = "127.0.0.1:5000/pinline/alpine:3.20@sha256:bdbf146d538b4e6d1bd34a73803268de94fbd47afdcfefcc9e68b9b982c701fe"

type Clean struct{}

// Test runs the unit tests.
func (m *Clean) Test(
	ctx context.Context,
	// +defaultPath="/"
	src *dagger.Directory,
) (string, error) {
	return dag.Container().
		From(alpineImage).
		WithDirectory("/src", src).
		WithWorkdir("/src").
		WithExec([]string{"go", "test", "./..."}).
		Stdout(ctx)
}

// Base returns the Go build container.
func (m *Clean) Base(
	// +optional
	// +default="127.0.0.1:5000/pinline/go:1.26@sha256:4e94f3a9d16ca3b98cd18b6cbef2361d834a2f33c94a97a2b039c75766a682ef"
	image string,
) *dagger.Container {
	return dag.Container().From(image)
}
