package engineconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Cache mount modes, as recorded in run.json (record.CacheUse.Mode).
const (
	// MountRW: the task mounts its own tier's volume read-write.
	MountRW = "rw"
	// MountSnapshot: the task sees a copy-on-write snapshot of another
	// tier's volume; its writes never reach that volume.
	MountSnapshot = "snapshot"
)

var (
	logicalName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	scopeName   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	scopeBad    = regexp.MustCompile(`[^a-z0-9._-]+`)
)

// CacheVolume maps a logical cache name from the spec to the tier-scoped
// engine volume "<tier>/<scope>/<name>". A name that looks like a volume (a
// "/" in it) or is otherwise not a plain logical name is rejected: a spec
// can never name a raw volume.
func CacheVolume(tier, scope, name string) (string, error) {
	if strings.Contains(name, "/") {
		return "", invalidf("cache %q: raw volume names are not allowed; use a logical name like %q", name, "go-mod")
	}
	if !logicalName.MatchString(name) {
		return "", invalidf("cache %q: logical cache names must match %s", name, logicalName)
	}
	if !tierName.MatchString(tier) {
		return "", invalidf("cache %q: tier %q must match %s", name, tier, tierName)
	}
	if !scopeName.MatchString(scope) {
		return "", invalidf("cache %q: scope %q must match %s (use BranchScope)", name, scope, scopeName)
	}
	return tier + "/" + scope + "/" + name, nil
}

// BranchScope turns a branch (or any label) into a cache scope: lowercase,
// runs of characters outside [a-z0-9._-] replaced by "-", at most 40
// characters; when that changed the input, an 8-hex-digit hash of the
// original is appended so that "feature/x" and "feature-x" never share a
// scope. An empty branch is scope "default".
func BranchScope(branch string) string {
	if branch == "" {
		return "default"
	}
	s := scopeBad.ReplaceAllString(strings.ToLower(branch), "-")
	s = strings.Trim(s, "-.")
	if len(s) > 40 {
		s = s[:40]
	}
	if s == branch && scopeName.MatchString(s) {
		return s
	}
	sum := sha256.Sum256([]byte(branch))
	if s == "" {
		s = "b"
	}
	return s + "-" + hex.EncodeToString(sum[:4])
}

// CacheMount is how one logical cache is provided to a task.
type CacheMount struct {
	Name string // logical name from the spec
	// Volume is the tier-scoped volume the task mounts read-write
	// (MountRW), or the volume whose snapshot it sees (MountSnapshot).
	Volume string
	Mode   string
	// CacheMode of the tier (strong or shared), for provenance.
	CacheMode string
}

// PlanCaches maps the logical cache names of a run in tier t with the
// given scope. Strong mode and shared mode without SnapshotFrom mount the
// tier's own volumes read-write. A shared-mode tier with SnapshotFrom sees
// read-only snapshots of that tier's volumes: the pipeline copies the
// volume's content into an immutable directory and mounts that directory
// (Dagger: Container.WithMountedDirectory), so writes stay in the task's
// container layer and never reach the source volume.
func PlanCaches(t *Tier, scope string, names []string) ([]CacheMount, error) {
	if t == nil {
		return nil, invalidf("cache plan: no tier")
	}
	out := make([]CacheMount, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, invalidf("cache %q: listed twice", n)
		}
		seen[n] = true
		m := CacheMount{Name: n, Mode: MountRW, CacheMode: t.CacheMode}
		src := t.Name
		if t.CacheMode == CacheShared && t.SnapshotFrom != "" {
			src, m.Mode = t.SnapshotFrom, MountSnapshot
		}
		v, err := CacheVolume(src, scope, n)
		if err != nil {
			return nil, err
		}
		m.Volume = v
		out = append(out, m)
	}
	return out, nil
}

// String is "name -> volume (mode)".
func (m CacheMount) String() string { return fmt.Sprintf("%s -> %s (%s)", m.Name, m.Volume, m.Mode) }
