//go:build realcorpus

// Opt-in, not part of go test ./...: the real-repository corpus is
// third-party snapshots that are never committed, so without the realcorpus
// tag this test neither runs nor counts; with it, a missing corpus fails.
//
//	PINLINE_REAL_CORPUS=DIR go test -tags realcorpus ./pin -run TestPinMatchesCheck -v

package pin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPinMatchesCheck compares pin and check on the real-repository
// corpus (PINLINE_REAL_CORPUS, see testdata/realcorpus/README.md).
func TestPinMatchesCheck(t *testing.T) {
	dir := os.Getenv("PINLINE_REAL_CORPUS")
	if dir == "" {
		t.Fatal("PINLINE_REAL_CORPUS is not set: the realcorpus tag needs the snapshots (testdata/realcorpus/README.md)")
	}
	data, err := os.ReadFile("../testdata/realcorpus/repos.tsv")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		repo, _, _ := strings.Cut(line, "\t")
		root := filepath.Join(dir, strings.ReplaceAll(repo, "/", "+"))
		n, diff := comparePinCheck(t, root)
		total += n
		for _, d := range diff {
			t.Error(d)
		}
		// And pin --check against check's decision (PL001/PL004/PL027).
		_, diff = pinCheckAgrees(t, root)
		for _, d := range diff {
			t.Errorf("%s: %s", repo, d)
		}
	}
	t.Logf("%d unpinned items seen by both", total)
}
