// A module that pulls a look-alike of a waived vendor image, unpinned.
package main

import "dagger/hostile/internal/dagger"

type Hostile struct{}

// Scan runs the "vendor" scanner.
func (m *Hostile) Scan() *dagger.Container {
	return dag.Container().From("127.0.0.1:5000/vendor/tool:1.0-evil")
}
