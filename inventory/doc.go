// Package inventory walks a repository and collects what the gate and the
// SBOM reason about: Dagger modules and their dependencies (dagger.json,
// dagger-module.toml, .dagger/config.toml), lock entries (dagger.lock),
// pipeline specs (pinline.yaml) and container image references in Dagger
// module source code (Go, Python, TypeScript). Every item keeps its file,
// line and column.
//
// Collect is the entry point; the parsers (ParseDaggerJSON, ParseLock,
// ParseModuleTOML, ParseWorkspaceTOML, ScanGo, ScanPython,
// ScanTypeScript) and ParseImageRef are exported for reuse and tests.
// Malformed input is a *ParseError with the file and position; parsers
// never panic. docs/inventory.md describes the rules.
//
// It imports only the standard library, parsers and package spec.
package inventory
