package policy

import (
	"fmt"
	"path"
	"strings"
)

// validGlob checks a waiver path: relative, slash-separated, no "." or ".."
// segments, and every segment a valid path.Match pattern or "**".
func validGlob(pattern string) error {
	if pattern == "" {
		return nil
	}
	if strings.HasPrefix(pattern, "/") || strings.Contains(pattern, "\\") || strings.ContainsRune(pattern, 0) {
		return fmt.Errorf("path %q: want a relative path with / separators", pattern)
	}
	for _, seg := range globSegments(pattern) {
		switch {
		case seg == "." || seg == "..":
			return fmt.Errorf("path %q: %q segments are not allowed", pattern, seg)
		case seg == "":
			return fmt.Errorf("path %q: empty segment", pattern)
		case seg != "**" && strings.Contains(seg, "**"):
			return fmt.Errorf("path %q: ** must be a whole segment (dir/**/x)", pattern)
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("path %q: %v", pattern, err)
		}
	}
	return nil
}

// globSegments splits a waiver path; a trailing "/" means "everything
// below", like "dir/**".
func globSegments(pattern string) []string {
	if p, ok := strings.CutSuffix(pattern, "/"); ok && p != "" {
		pattern = p + "/**"
	}
	return strings.Split(pattern, "/")
}

// pathMatches reports whether file matches a waiver path glob. Matching is
// per "/" segment, so "ci/legacy/**" never matches "ci/legacy-evil/x" and
// "*.json" never matches "sub/dagger.json".
func pathMatches(pattern, file string) bool {
	if file == "" {
		return false
	}
	return matchSegments(globSegments(pattern), strings.Split(file, "/"))
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(name); i++ {
				if matchSegments(rest, name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], name[0]); err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
