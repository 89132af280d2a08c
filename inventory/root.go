package inventory

import (
	"os"
	"path/filepath"
	"strings"
)

// RepositoryRoot decides the repository root of the PATH arguments of a
// check. It is the working directory,
// unless the only PATH is a directory outside it (pinline check ../other):
// then that directory is the root, so that positions and mount checks are
// relative to the repository being checked.
func RepositoryRoot(args []string) (root string, paths []string) {
	if len(args) != 1 {
		return ".", args
	}
	st, err := os.Stat(args[0])
	if err != nil || !st.IsDir() {
		return ".", args
	}
	wd, err1 := filepath.Abs(".")
	dir, err2 := filepath.Abs(args[0])
	if err1 != nil || err2 != nil {
		return ".", args
	}
	rel, err := filepath.Rel(wd, dir)
	if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ".", args
	}
	return args[0], nil
}
