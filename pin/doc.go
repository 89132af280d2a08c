// Package pin resolves what the gate finds unpinned and writes the pins back
// into the files, as pinact and ratchet do for GitHub Actions:
//
//   - container images written as name:tag become name:tag@sha256:... in
//     pinline.yaml, dagger.lock (an oci-sha entry for every oci-latest) and
//     Dagger module source string literals (Go, Python, TypeScript);
//   - remote module dependencies in dagger.json get a "pin" field holding the
//     commit their ref resolves to (git ls-remote), and dagger.lock gets a
//     git-sha entry for every git-latest.
//
// Every edit is a byte-precise insertion or replacement: formatting, key
// order, indentation and comments are kept. Nothing touches the network
// for entries that are already pinned, unless Verify asks to re-resolve them.
// Files are written through a temporary file and a rename, after every
// resolution has succeeded, so a failure leaves every file as it was.
//
// It imports only packages inventory (positions and remote references) and
// spec.
package pin
