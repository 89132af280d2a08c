// Package inventory walks a repository and collects what the gate and the
// SBOM reason about: Dagger modules and their dependencies (dagger.json,
// dagger-module.toml, .dagger/config.toml), lock entries (dagger.lock),
// pipeline specs (pinline.yaml) and container image references in Dagger
// module source code. Every item keeps its file, line and column.
//
// It imports only the standard library, parsers and package spec.
package inventory
