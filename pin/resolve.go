package pin

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pinline/pinline/inventory"
)

// resolver caches resolutions for one run.
type resolver struct {
	images  ImageResolver
	git     GitResolver
	digests map[string]string
	refs    map[string]map[string]string
}

// gitResolve resolves ref in the repository at cloneURL, listing each
// repository once per run.
func (r *resolver) gitResolve(ctx context.Context, cloneURL, ref string) (Resolved, error) {
	if inventory.IsCommit(ref) {
		return Resolved{Commit: ref, FullRef: ref, Kind: "commit"}, nil
	}
	refs, ok := r.refs[cloneURL]
	if !ok {
		var err error
		if refs, err = r.git.ListRefs(ctx, cloneURL); err != nil {
			return Resolved{}, err
		}
		r.refs[cloneURL] = refs
	}
	return resolveRef(refs, cloneURL, ref)
}

// resolve returns the digest or commit s resolves to and, for git, the
// full ref it came from ("" for images and commits named by the source).
func (r *resolver) resolve(ctx context.Context, s site) (val, fullRef string, _ error) {
	if s.kind == "image" {
		d, err := r.digest(ctx, s)
		return d, "", err
	}
	if s.sourceCommit != "" {
		return s.sourceCommit, "", nil
	}
	res, err := r.gitResolve(ctx, s.cloneURL, s.gitRef)
	if err != nil {
		return "", "", wrapSite(s, err)
	}
	return res.Commit, res.FullRef, nil
}

func (r *resolver) digest(ctx context.Context, s site) (string, error) {
	if d, ok := r.digests[s.image]; ok {
		return d, nil
	}
	d, err := r.images.Digest(ctx, s.image)
	if err != nil {
		return "", wrapSite(s, err)
	}
	r.digests[s.image] = d
	return d, nil
}

// wrapSite names the file position in errors that are not network errors
// (those already name the reference and host).
func wrapSite(s site, err error) error {
	var ne *NetworkError
	if errors.As(err, &ne) {
		if ne.Ref != s.ref {
			// Name the reference as written (the module source or
			// image), not only the clone URL git was given.
			err = &NetworkError{Ref: s.ref, Host: ne.Host, Err: ne.Err}
		}
		return fmt.Errorf("%s:%d:%d: %w", s.pos.File, s.pos.Line, s.pos.Column, err)
	}
	return &InputError{Pos: s.pos, Err: err}
}

// verify re-resolves a pinned entry. The rule:
//   - an image tag must still point to the pinned digest (any move of the
//     tag is reported as tag-moved, exit 1: registries do not keep history,
//     so a moved tag cannot be told apart from a replaced one);
//   - a module source that names a commit must have that commit as its pin;
//   - a release tag (IsReleaseTag: v1.2.3, 1.2.3, v1.2.3-rc.1+build,
//     sdk/go/v1.2.3) is immutable: any move is rewritten (exit 1), even
//     onto a commit that has the pin in its history, which is what a
//     hijacked release tag usually gets (a malicious commit on top);
//   - a branch or floating tag (v1, v1.2, latest, a range such as ^1.2)
//     must resolve to the pinned commit (ok), or to a commit that has the
//     pin in its history (advanced: the ref moved forward; not a failure);
//     a ref that moved to a history without the pin was rewritten
//     (force-push or re-tag: an attack signal, exit 1);
//   - a ref that is gone is missing (exit 1).
func (r *resolver) verify(ctx context.Context, s site) (Finding, error) {
	f := Finding{Pos: s.pos, Kind: s.kind, Ref: s.ref, Pinned: s.pinned}
	if s.kind == "image" {
		if s.image == "" {
			f.Status, f.Detail = StatusSkipped, "digest without tag: nothing to re-resolve"
			return f, nil
		}
		d, err := r.digest(ctx, s)
		switch {
		case errors.Is(err, ErrNotFound):
			f.Status, f.Detail = StatusMissing, "the tag no longer exists"
			return f, nil
		case err != nil:
			return f, err
		}
		f.Current = d
		if d == s.pinned {
			f.Status = StatusOK
		} else {
			f.Status, f.Detail = StatusTagMoved, "the tag now points to another digest"
		}
		return f, nil
	}
	if s.sourceCommit != "" {
		f.Current = s.sourceCommit
		if s.pinned == s.sourceCommit {
			f.Status = StatusOK
		} else {
			f.Status, f.Detail = StatusInconsisent, "the source names one commit and the pin another"
		}
		return f, nil
	}
	res, err := r.gitResolve(ctx, s.cloneURL, s.gitRef)
	switch {
	case errors.Is(err, ErrNotFound):
		f.Status, f.Detail = StatusMissing, "the ref no longer exists"
		return f, nil
	case err != nil:
		return f, wrapSite(s, err)
	}
	f.Current = res.Commit
	if res.Commit == s.pinned {
		f.Status = StatusOK
		return f, nil
	}
	if name, ok := strings.CutPrefix(res.FullRef, "refs/tags/"); ok && IsReleaseTag(name) {
		f.Status, f.Detail = StatusRewritten, fmt.Sprintf("release tag %s moved: a release tag is immutable, any move is a rewrite", res.FullRef)
		return f, nil
	}
	anc, err := r.git.IsAncestor(ctx, s.cloneURL, res.FullRef, s.pinned)
	if err != nil {
		return f, wrapSite(s, err)
	}
	if anc {
		f.Status, f.Detail = StatusAdvanced, fmt.Sprintf("%s %s moved forward; the pin is in its history", res.Kind, res.FullRef)
	} else {
		f.Status, f.Detail = StatusRewritten, fmt.Sprintf("%s %s now points to a commit whose history does not contain the pin", res.Kind, res.FullRef)
	}
	return f, nil
}

// reRelease matches a full release version: three numeric parts with an
// optional v, pre-release and build suffix, and optional path prefix (the
// tags of modules inside a monorepo: sdk/go/v0.9.0).
var reRelease = regexp.MustCompile(`^(?:[A-Za-z0-9._-]+/)*v?[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$`)

// IsReleaseTag reports whether a tag name (without refs/tags/) names one
// release and so must never move. Floating tags (v1, v1.2, latest) and
// version ranges (^1.2, ~1.2.3, >=1.0.0, 1.x) are not release tags.
func IsReleaseTag(name string) bool { return reRelease.MatchString(name) }
