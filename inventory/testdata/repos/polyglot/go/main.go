// A Go module whose images are built from +default values.
package main

import (
	"fmt"

	"dagger/go-mod/internal/dagger"
)

type GoMod struct {
	// +default="3.20"
	AlpineVersion string
}

const postgres = "postgres"

// Db is a database of the version the caller asks for.
func (m *GoMod) Db(
	// +optional
	// +default="16"
	version string,
) *dagger.Container {
	return dag.Container().From(postgres + ":" + version)
}

// Node formats the tag from its default.
func (m *GoMod) Node(
	// +default="22"
	v string,
) *dagger.Container {
	return dag.Container().From(fmt.Sprintf("node:%s-alpine", v))
}

// Alpine uses a field default.
func (m *GoMod) Alpine() *dagger.Container {
	return dag.Container().From("alpine:" + m.AlpineVersion)
}
