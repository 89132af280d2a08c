// Package monorepo generates synthetic repositories for the gate
// benchmarks: many Dagger modules with dependencies in every form and,
// optionally, Go module source files that reference images. Unlike
// internal/monorepo it can write dagger.json files alone, which is what
// bench/conftest.sh gives both pinline and conftest.
package monorepo
