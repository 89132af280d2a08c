package pin

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/inventory"
)

// Options control one run of Run.
type Options struct {
	// Root is the directory positions are reported relative to. Paths that
	// are relative are taken relative to Root as well.
	Root string
	// Paths are files or directories to pin; empty means Root.
	Paths []string
	// Check reports what would change without writing.
	Check bool
	// Diff writes a unified diff of the changes to Out without writing.
	Diff bool
	// Offline, with Check, lists the unpinned entries without resolving
	// them (Change.Pin is empty): no network, for commit hooks.
	Offline bool
	// Verify re-resolves entries that are already pinned and reports the
	// ones whose pin no longer matches; nothing is written.
	Verify bool
	// Images resolves image tags to digests; nil uses a Registry with the
	// default docker keychain.
	Images ImageResolver
	// Git resolves module refs to commits; nil uses Git with no rewrites.
	Git GitResolver
	// Out receives the diff (Diff); nil discards.
	Out io.Writer
	// MinAge is the cooldown: a commit or image younger than this is not
	// pinned (a Note says how old it is). Zero pins whatever the ref
	// names now. With a cooldown, an entry whose age cannot be told is
	// not pinned either.
	MinAge time.Duration
	// Now is the clock for MinAge; nil uses time.Now.
	Now func() time.Time
}

// Change is one pin that was (or would be) written.
type Change struct {
	Pos inventory.Position `json:"pos"`
	// Kind is "image" or "module".
	Kind string `json:"kind"`
	// Ref is the reference as written (image name:tag, module source, or
	// lock key).
	Ref string `json:"ref"`
	// Pin is the digest or commit written.
	Pin string `json:"pin"`
	// Age is how old the pinned commit or image is (with MinAge only).
	Age string `json:"age,omitempty"`
}

// Verify statuses.
const (
	StatusOK          = "ok"           // pin equals what the ref resolves to
	StatusAdvanced    = "advanced"     // branch or tag moved forward: pin is an ancestor of the new commit
	StatusTagMoved    = "tag-moved"    // image tag now points to another digest
	StatusRewritten   = "rewritten"    // git ref moved to a commit that does not contain the pin
	StatusMissing     = "missing"      // the ref no longer exists
	StatusInconsisent = "inconsistent" // source names a commit and the pin is a different one
	StatusSkipped     = "skipped"      // nothing to verify against (digest-only image)
)

// Finding is the verification result for one pinned entry.
type Finding struct {
	Pos     inventory.Position `json:"pos"`
	Kind    string             `json:"kind"`
	Ref     string             `json:"ref"`
	Pinned  string             `json:"pinned"`
	Current string             `json:"current,omitempty"`
	Status  string             `json:"status"`
	Detail  string             `json:"detail,omitempty"`
}

// Failed reports whether the finding fails verification.
func (f Finding) Failed() bool {
	switch f.Status {
	case StatusOK, StatusAdvanced, StatusSkipped:
		return false
	}
	return true
}

// Note is an entry pin left alone, and why.
type Note struct {
	Pos    inventory.Position `json:"pos"`
	Ref    string             `json:"ref"`
	Reason string             `json:"reason"`
	// Age is how old the resolved commit or image is, when a cooldown
	// kept it from being pinned.
	Age string `json:"age,omitempty"`
}

// Report is the result of Run.
type Report struct {
	Changes  []Change  `json:"changes"`
	Findings []Finding `json:"findings,omitempty"`
	Notes    []Note    `json:"notes,omitempty"`
	// Files lists the files that changed (or would change), relative to Root.
	Files []string `json:"files"`
	// Written is true when the files were written.
	Written bool `json:"written"`
}

// Failed reports whether any verification finding failed.
func (r *Report) Failed() bool {
	for _, f := range r.Findings {
		if f.Failed() {
			return true
		}
	}
	return false
}

// NetworkError is a failure to reach a registry or git host. Callers map it
// to the operational exit code.
type NetworkError struct {
	Ref  string
	Host string
	Err  error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("resolve %s (host %s): %v", e.Ref, e.Host, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Is makes a NetworkError operational (errclass.ErrOperational, exit 3).
func (e *NetworkError) Is(target error) bool { return target == errclass.ErrOperational }

// ErrNotFound is wrapped by errors for tags and refs that do not exist.
var ErrNotFound = errors.New("not found")

// InputError is a file pin cannot read or edit; callers map it to the bad
// input exit code.
type InputError struct {
	Pos inventory.Position
	Err error
}

func (e *InputError) Error() string {
	if e.Pos.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.Pos.File, e.Pos.Line, e.Pos.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Pos.File, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Is makes an InputError bad input (errclass.ErrBadInput, exit 2).
func (e *InputError) Is(target error) bool { return target == errclass.ErrBadInput }
