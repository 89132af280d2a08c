// Package atomicfile replaces files so that readers see the old content or
// the new, never a partial write: a temporary file in the same directory
// (unique name, removed on any failure), written, synced, given its mode,
// then renamed over the target. pin (rewriting a user's files), hooks (the
// git hook), pipeline (run records), the CLI (BOMs, reports) and the
// development registry all write through it.
package atomicfile
