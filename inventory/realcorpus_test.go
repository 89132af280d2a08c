//go:build realcorpus

// Opt-in, not part of go test ./...: the real-repository corpus is
// third-party snapshots that are never committed, so without the realcorpus
// tag this test neither runs nor counts; with it, a missing corpus fails.
//
//	PINLINE_REAL_CORPUS=DIR go test -tags realcorpus ./inventory -run TestRealCorpus -v

package inventory

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The real-repository corpus: snapshots of public Dagger module
// repositories that may not be committed here (they are third-party
// content), so the test runs only when PINLINE_REAL_CORPUS names the
// directory holding them (one directory per repository, named
// owner+name, as listed in testdata/realcorpus/repos.tsv). The ground
// truth, testdata/realcorpus/truth.tsv, was made independently of pinline
// (a separate extractor per file kind and language, then every
// disagreement reviewed by hand); see testdata/realcorpus/README.md.
const realCorpusEnv = "PINLINE_REAL_CORPUS"

type truthRow struct {
	repo, path string
	line       int
	kind, ref  string
	class      string
}

func (r truthRow) key() string {
	return r.repo + "\t" + r.path + "\t" + r.kind + "\t" + r.ref + "\t" + r.class
}

func readTruth(t *testing.T) []truthRow {
	t.Helper()
	f, err := os.Open("../testdata/realcorpus/truth.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []truthRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "repo\t") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 7 {
			t.Fatalf("truth.tsv:%d: %d columns, want 7", n, len(c))
		}
		l, err := strconv.Atoi(c[3])
		if err != nil {
			t.Fatalf("truth.tsv:%d: line %q", n, c[3])
		}
		rows = append(rows, truthRow{repo: c[0], path: c[2], line: l, kind: c[4], ref: c[5], class: c[6]})
	}
	return rows
}

// realFound is what pinline reports for one repository, as truth rows: image
// findings (module source, dagger.json, lock), dependency
// classifications and lock entries.
func realFound(repo string, inv *Inventory) []truthRow {
	var out []truthRow
	for _, im := range inv.Images {
		class := "unpinned"
		if im.Digest != "" {
			class = "pinned"
		}
		out = append(out, truthRow{repo, im.Pos.File, im.Pos.Line, "image", im.Ref, class})
	}
	for _, m := range inv.Modules {
		if m.SDK != nil {
			out = append(out, truthRow{repo, m.SDK.Pos.File, m.SDK.Pos.Line, "sdk", m.SDK.Source, depClass(m.SDK.Builtin, m.SDK.Local, m.SDK.Pinned)})
		}
		for _, d := range m.Dependencies {
			out = append(out, truthRow{repo, d.Pos.File, d.Pos.Line, "dep", d.Source, depClass(false, d.Local, d.Pinned)})
		}
	}
	for _, l := range inv.Locks {
		class := "pinned"
		if l.Floating {
			class = "floating"
		}
		out = append(out, truthRow{repo, l.Pos.File, l.Pos.Line, "lock", l.Kind + " " + strings.Join(l.Key, " "), class})
	}
	return out
}

func depClass(builtin, local, pinned bool) string {
	switch {
	case builtin:
		return "builtin"
	case local:
		return "local"
	case pinned:
		return "pinned"
	}
	return "unpinned"
}

// TestRealCorpusPrecisionRecall collects every repository of the corpus
// and compares image findings, dependency classifications and lock
// entries with the ground truth: precision and recall per kind must reach
// 98 %, positions must agree, and no real file may be rejected.
func TestRealCorpusPrecisionRecall(t *testing.T) {
	dir := os.Getenv(realCorpusEnv)
	if dir == "" {
		t.Fatal(realCorpusEnv + " is not set: the realcorpus tag needs the real-repository corpus (third-party snapshots, " +
			"never committed; testdata/realcorpus/README.md)")
	}
	truth := readTruth(t)
	names := RealCorpusRepos(t, "..")
	var got []truthRow
	for _, repo := range names {
		inv, err := Collect(context.Background(), Options{Root: filepath.Join(dir, repo)})
		if err != nil {
			t.Errorf("%s: real repository rejected: %v", repo, err)
			continue
		}
		got = append(got, realFound(repo, inv)...)
	}
	if dump := os.Getenv("PINLINE_REAL_CORPUS_DUMP"); dump != "" {
		var b strings.Builder
		for _, r := range got {
			fmt.Fprintf(&b, "%s\t-\t%s\t%d\t%s\t%s\t%s\n", r.repo, r.path, r.line, r.kind, r.ref, r.class)
		}
		if err := os.WriteFile(dump, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, kinds := range [][]string{{"image"}, {"sdk", "dep"}, {"lock"}} {
		want := countKeys(truth, kinds)
		have := countKeys(got, kinds)
		tp, fp, fn := 0, 0, 0
		for k, n := range have {
			m := min(n, want[k])
			tp += m
			if n > m {
				fp += n - m
				t.Logf("false positive %s (×%d)", k, n-m)
			}
		}
		for k, n := range want {
			if h := have[k]; h < n {
				fn += n - h
				t.Logf("false negative %s (×%d)", k, n-h)
			}
		}
		p := ratio(tp, tp+fp)
		r := ratio(tp, tp+fn)
		t.Logf("%s: %d truth, %d found, precision %.2f %%, recall %.2f %%", strings.Join(kinds, "+"), tp+fn, tp+fp, 100*p, 100*r)
		if p < 0.98 || r < 0.98 {
			t.Errorf("%s: precision %.4f, recall %.4f; want both ≥ 0.98", strings.Join(kinds, "+"), p, r)
		}
	}
	// Positions: every truth row that pinline found is at the same line.
	lines := map[string][]int{}
	for _, r := range got {
		lines[r.key()] = append(lines[r.key()], r.line)
	}
	same, total := 0, 0
	for _, r := range truth {
		if ls, ok := lines[r.key()]; ok {
			total++
			if slices.Contains(ls, r.line) {
				same++
			} else {
				t.Logf("position differs: %s: truth line %d, pinline %v", r.key(), r.line, ls)
			}
		}
	}
	t.Logf("positions: %d of %d matched rows at the same line", same, total)
	if ratio(same, total) < 0.98 {
		t.Errorf("positions agree for %d of %d rows", same, total)
	}
}

func countKeys(rows []truthRow, kinds []string) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		if slices.Contains(kinds, r.kind) {
			m[r.key()]++
		}
	}
	return m
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// RealCorpusRepos returns the directory names (owner+name) of the
// repositories of testdata/realcorpus/repos.tsv under the repository root
// top.
func RealCorpusRepos(t testing.TB, top string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(top, "testdata", "realcorpus", "repos.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		repo, _, _ := strings.Cut(line, "\t")
		out = append(out, strings.ReplaceAll(repo, "/", "+"))
	}
	if len(out) < 15 {
		t.Fatalf("repos.tsv lists %d repositories, want at least 15", len(out))
	}
	return out
}
