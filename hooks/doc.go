// Package hooks holds the git pre-commit entry points and their installer:
// Script renders the hook, Install and Uninstall put it into (and take it
// out of) a repository's hooks directory, keeping and chaining a
// pre-commit hook that was there before. The hook checks only the staged
// dagger.json, dagger.lock, pinline.yaml and module source files.
//
// It imports the policy gate but never the pipeline or Dagger; it runs git
// through its CLI.
package hooks
