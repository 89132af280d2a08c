package spec

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// CheckImageRef checks an image output's ref: host/repository:tag with an
// explicit registry host (a name with a dot or a port, or localhost) and an
// explicit tag, no digest (the digest is what the push produces). It
// returns "" when ref is acceptable, else the reason.
func CheckImageRef(ref string) string {
	if strings.Contains(ref, "@") {
		return "must be host/repository:tag without a digest (the push records the digest)"
	}
	host, _, ok := strings.Cut(ref, "/")
	if !ok || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return "must name its registry host explicitly (host[:port]/repository:tag)"
	}
	if _, err := name.NewTag(ref, name.StrictValidation); err != nil {
		return "is not host/repository:tag: " + strings.TrimPrefix(err.Error(), "repository can only contain the characters ")
	}
	return ""
}

// CheckPlatforms checks image output platforms: os/arch or os/arch/variant,
// lower case, no duplicates. It returns "" when they are acceptable.
func CheckPlatforms(ps []string) string {
	seen := map[string]bool{}
	for _, p := range ps {
		parts := strings.Split(p, "/")
		if len(parts) < 2 || len(parts) > 3 {
			return fmt.Sprintf("%q is not os/arch[/variant]", p)
		}
		for _, e := range parts {
			if e == "" || strings.Trim(e, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
				return fmt.Sprintf("%q is not os/arch[/variant] (lower-case letters, digits and _)", p)
			}
		}
		if seen[p] {
			return fmt.Sprintf("%q is listed twice", p)
		}
		seen[p] = true
	}
	if len(ps) == 0 {
		return "list at least one platform, or leave platforms out"
	}
	return ""
}
