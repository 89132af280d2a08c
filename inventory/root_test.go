package inventory

import (
	"fmt"
	"testing"
)

func TestRepositoryRoot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args  []string
		root  string
		paths []string
	}{
		{nil, ".", nil},
		{[]string{"."}, ".", []string{"."}},
		{[]string{"testdata-nonexistent"}, ".", []string{"testdata-nonexistent"}},
		{[]string{"../testdata/repos/clean"}, "../testdata/repos/clean", nil},
		{[]string{"../testdata/repos/clean", "."}, ".", []string{"../testdata/repos/clean", "."}},
	} {
		root, paths := RepositoryRoot(tc.args)
		if root != tc.root || fmt.Sprint(paths) != fmt.Sprint(tc.paths) {
			t.Errorf("RepositoryRoot(%q) = %q, %q; want %q, %q", tc.args, root, paths, tc.root, tc.paths)
		}
	}
}
