package inventory

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxLinks bounds the symlinks one resolution follows (as Linux's
// MAXSYMLINKS does).
const maxLinks = 40

// ResolveIn resolves rel, a path relative to root, on the host the way the
// kernel would: component by component, following every symlink (absolute
// or relative, dangling or not). It returns the real path and whether it is
// inside root (root itself counts). Components that do not exist are kept
// as written, so a dangling link to /etc/x resolves to /etc/x: outside. A
// symlink loop, an absolute rel and an unreadable link are never inside
// (fail closed). The mount gate (PL011) and the executor both use it, so
// the path the gate approved is the path that is uploaded.
func ResolveIn(root, rel string) (real string, inside bool) {
	rootAbs, err := filepath.Abs(root)
	rootReal := rootAbs
	if err == nil {
		rootReal, err = filepath.EvalSymlinks(rootAbs)
		if errors.Is(err, fs.ErrNotExist) {
			// No root on disk: nothing to follow, and nothing to read.
			rootReal, err = rootAbs, nil
		}
	}
	if err != nil || filepath.IsAbs(rel) || strings.IndexByte(rel, 0) >= 0 {
		return filepath.Clean("/" + rel), false
	}
	cur := rootReal
	rest := splitPath(rel)
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		if err != nil {
			// Missing: the rest is taken as written.
			cur = filepath.Join(append([]string{next}, rest...)...)
			rest = nil
			break
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		links++
		target, err := os.Readlink(next)
		if err != nil || links > maxLinks {
			return next, false
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		rest = append(splitPath(target), rest...)
	}
	cur = filepath.Clean(cur)
	r, err := filepath.Rel(rootReal, cur)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return cur, false
	}
	return cur, true
}

func splitPath(p string) []string {
	return strings.Split(filepath.ToSlash(p), "/")
}
