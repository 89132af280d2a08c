package pin

import (
	"context"
	"errors"
	"fmt"

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

func (r *resolver) resolve(ctx context.Context, s site) (string, error) {
	if s.kind == "image" {
		return r.digest(ctx, s)
	}
	if s.sourceCommit != "" {
		return s.sourceCommit, nil
	}
	res, err := r.gitResolve(ctx, s.cloneURL, s.gitRef)
	if err != nil {
		return "", wrapSite(s, err)
	}
	return res.Commit, nil
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
//   - a git tag or branch must resolve to the pinned commit (ok), or to a
//     commit that has the pin in its history (advanced: the ref moved
//     forward, as floating tags like v1 and branches do; not a failure);
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
