package engineconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
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
