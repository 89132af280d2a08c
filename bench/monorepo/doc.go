// Package monorepo generates synthetic repositories for the gate
// benchmarks: many Dagger modules with dependencies in every form and
// module source files that reference images.
package monorepo
