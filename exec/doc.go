// Package exec runs untrusted code snippets in digest-pinned language
// presets on a Dagger engine (`pinline exec`).
//
// A Preset says how one language runs: an image by digest, the file the
// snippet is written to, compile and run commands, setup commands,
// package-manager cache volumes and environment. The shipped presets
// (Builtin) are built from Debian packages by hack/presets and pinned in a
// presets lock file (ReadLock); users add their own in a config file
// (LoadConfig), by digest only.
//
// Run runs one snippet; a Runner runs many over one engine session (Batch,
// Matrix). Imports are detected (Detect), mapped to packages (Resolve) and
// installed in a setup step; the resolved configuration per preset and
// package set is kept in a ConfigCache (in memory and under
// .pinline/exec-cache/). Snippets run as an unprivileged user with no host
// mounts and no secrets; the engine talks through the pipeline package,
// which owns every Dagger call.
//
// Results follow the contract in Result. Errors callers branch on are
// ErrInvalid (bad input, exit 2) and ErrEngine (operational, exit 3); a
// snippet that fails is a Result, not an error.
package exec
