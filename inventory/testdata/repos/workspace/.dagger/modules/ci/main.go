package main

import "dagger/ci/internal/dagger"

type Ci struct{}

func (m *Ci) Build() *dagger.Container {
	return dag.Container().From("golang:1.26-alpine")
}
