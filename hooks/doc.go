// Package hooks holds the git pre-commit entry points and their installer.
// It imports the policy gate but never the pipeline or Dagger.
package hooks
