package spec

import (
	"path"
	"strings"
)

// CheckDest checks an output dest: a relative, slash-separated path that
// stays inside the run directory. It returns "" when dest is acceptable,
// else the reason (for "output dest %q <reason>"). Absolute paths, drive
// letters, backslashes, NUL bytes and ".." elements are refused whatever
// the tier: a spec never chooses a host path outside its run directory.
func CheckDest(dest string) string {
	switch {
	case dest == "":
		return "must not be empty"
	case strings.IndexByte(dest, 0) >= 0:
		return "must not contain a NUL byte"
	case strings.HasPrefix(dest, "/") || len(dest) > 1 && dest[1] == ':':
		return "must be relative to the run directory"
	case strings.Contains(dest, `\`):
		return "must use / as the separator"
	}
	for _, e := range strings.Split(dest, "/") {
		if e == ".." {
			return `must stay inside the run directory (no ".." element)`
		}
	}
	if path.Clean(dest) == "." {
		return "must name a path under the run directory, not the directory itself"
	}
	return ""
}
