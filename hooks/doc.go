// Package hooks holds the git pre-commit entry points and their installer:
// Script renders the hook, Install and Uninstall put it into (and take it
// out of) a repository's hooks directory, keeping and chaining a
// pre-commit hook that was there before. The hook checks only the staged
// dagger.json, dagger.lock, pinline.yaml and module source files.
//
// The hook calls the pinline binary (by default `pinline check`, the
// policy gate), so this package imports no other pinline package but the
// standard-library-only internal/atomicfile (the hook is written
// atomically), and never the pipeline or Dagger; it runs git through its
// CLI.
package hooks
