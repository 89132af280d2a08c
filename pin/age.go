package pin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ImageAger tells when the image a digest names was created (the config's
// created time; for an index, the newest of its images).
type ImageAger interface {
	Created(ctx context.Context, ref, digest string) (time.Time, error)
}

// CommitAger tells the committer time of a commit reachable from fullRef.
type CommitAger interface {
	CommitTime(ctx context.Context, cloneURL, fullRef, commit string) (time.Time, error)
}

// ErrAgeUnknown is wrapped when a resolver cannot tell how old a commit or
// image is; with a cooldown that entry is not pinned (fail closed).
var ErrAgeUnknown = errors.New("age unknown")

// Created implements ImageAger with the image config of ref@digest.
func (r *Registry) Created(ctx context.Context, ref, digest string) (time.Time, error) {
	base, _, _ := strings.Cut(ref, "@")
	d, err := name.NewDigest(base + "@" + digest)
	if err != nil {
		t, terr := name.NewTag(base)
		if terr != nil {
			return time.Time{}, fmt.Errorf("parse image reference %q: %w", ref, err)
		}
		d = t.Context().Digest(digest)
	}
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	desc, err := remote.Get(d, opts...)
	if err != nil {
		return time.Time{}, classifyRegistryErr(ref, d.RegistryStr(), err)
	}
	var imgs []v1.Image
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return time.Time{}, err
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return time.Time{}, err
		}
		for _, md := range m.Manifests {
			if !md.MediaType.IsImage() {
				continue
			}
			img, err := idx.Image(md.Digest)
			if err != nil {
				return time.Time{}, err
			}
			imgs = append(imgs, img)
		}
	} else {
		img, err := desc.Image()
		if err != nil {
			return time.Time{}, err
		}
		imgs = append(imgs, img)
	}
	var newest time.Time
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			return time.Time{}, err
		}
		if cf.Created.After(newest) {
			newest = cf.Created.Time
		}
	}
	if newest.IsZero() || newest.Unix() <= 0 {
		return time.Time{}, fmt.Errorf("image %s@%s records no created time: %w", base, digest, ErrAgeUnknown)
	}
	return newest, nil
}

// CommitTime implements CommitAger: it fetches fullRef (commits only) into
// a temporary bare repository and reads the committer time of commit.
func (g *Git) CommitTime(ctx context.Context, cloneURL, fullRef, commit string) (time.Time, error) {
	dir, err := os.MkdirTemp("", "pinline-age-")
	if err != nil {
		return time.Time{}, err
	}
	defer os.RemoveAll(dir)
	if _, err := g.run(ctx, dir, "init", "-q", "--bare", "."); err != nil {
		return time.Time{}, err
	}
	src := fullRef
	if src == "" || src == commit {
		src = "HEAD"
	}
	if _, err := g.run(ctx, dir, "fetch", "-q", "--no-tags", "--filter=tree:0", g.RewriteURL(cloneURL), "+"+src+":refs/pinline/target"); err != nil {
		return time.Time{}, &NetworkError{Ref: cloneURL + "@" + src, Host: hostOf(cloneURL), Err: err}
	}
	out, err := g.run(ctx, dir, "show", "-s", "--format=%ct", commit)
	if err != nil {
		return time.Time{}, fmt.Errorf("commit %s: %w", commit, ErrAgeUnknown)
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("commit %s: %w", commit, ErrAgeUnknown)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// ParseAge parses a cooldown: a Go duration (36h, 90m) or a number of days
// or weeks (7d, 2w).
func ParseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.ParseUint(n, 10, 16)
		if err == nil {
			return time.Duration(d) * 24 * time.Hour, nil
		}
	}
	if n, ok := strings.CutSuffix(s, "w"); ok {
		d, err := strconv.ParseUint(n, 10, 16)
		if err == nil {
			return time.Duration(d) * 7 * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid age %q: want a duration such as 7d, 2w or 36h", s)
	}
	return d, nil
}

// FormatAge prints an age in days and hours (12d3h, 5h, 0h).
func FormatAge(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dh", hours)
}

// age returns how old what val names is, for a cooldown.
func (r *resolver) age(ctx context.Context, s site, fullRef, val string, now time.Time) (time.Duration, error) {
	var t time.Time
	var err error
	if s.kind == "image" {
		a, ok := r.images.(ImageAger)
		if !ok {
			return 0, fmt.Errorf("%s: the image resolver cannot tell image ages: %w", s.ref, ErrAgeUnknown)
		}
		t, err = a.Created(ctx, s.image, val)
	} else {
		a, ok := r.git.(CommitAger)
		if !ok {
			return 0, fmt.Errorf("%s: the git resolver cannot tell commit ages: %w", s.ref, ErrAgeUnknown)
		}
		t, err = a.CommitTime(ctx, s.cloneURL, fullRef, val)
	}
	if err != nil {
		return 0, err
	}
	return now.Sub(t), nil
}
