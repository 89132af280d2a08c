package inventory

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// manifestRow is one line of testdata/corpus/dagger-json/MANIFEST.tsv.
type manifestRow struct {
	file                          string
	deps, pinned, unpinned, local int
	engineVersion, sdkForm, notes string
}

func readManifest(t *testing.T) []manifestRow {
	t.Helper()
	f, err := os.Open("testdata/corpus/dagger-json/MANIFEST.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []manifestRow
	sc := bufio.NewScanner(f)
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 11 {
			t.Fatalf("short manifest line %q", sc.Text())
		}
		atoi := func(s string) int {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("manifest: %v", err)
			}
			return n
		}
		rows = append(rows, manifestRow{
			file:          strings.ReplaceAll(c[0], "/", "__") + "__" + strings.ReplaceAll(c[1], "/", "__"),
			deps:          atoi(c[4]),
			pinned:        atoi(c[5]),
			unpinned:      atoi(c[6]),
			local:         atoi(c[7]),
			engineVersion: c[8],
			sdkForm:       c[9],
			notes:         c[10],
		})
	}
	return rows
}

// TestCorpusManifest parses the 112 real dagger.json files and checks the
// per-file dependency counts of MANIFEST.tsv. The manifest counts only
// "dependencies" entries (toolchains, the SDK and blueprints are listed
// in its notes, not in n_deps); a remote dependency is pinned when it has
// a commit pin field or an @<40-hex> ref, unpinned otherwise; every
// non-remote source (../x, ./x, bare child names) is local.
func TestCorpusManifest(t *testing.T) {
	t.Parallel()
	rows := readManifest(t)
	if len(rows) != 112 {
		t.Fatalf("manifest has %d rows, want 112", len(rows))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.file] = true
		t.Run(r.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata/corpus/dagger-json", r.file))
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := ParseDaggerJSON(r.file, data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			var deps, pinnedN, unpinned, local int
			for _, d := range m.Dependencies {
				if d.Kind != "dependency" {
					continue
				}
				deps++
				switch {
				case d.Local:
					local++
				case d.Pinned:
					pinnedN++
				default:
					unpinned++
				}
			}
			got := [4]int{deps, pinnedN, unpinned, local}
			want := [4]int{r.deps, r.pinned, r.unpinned, r.local}
			if got != want {
				t.Errorf("deps/pinned/unpinned/local = %v, want %v (%s)", got, want, r.notes)
			}
			ev := m.EngineVersion
			if ev == "" {
				ev = "(absent)"
			}
			if got := sdkForm(m.SDK); got != r.sdkForm {
				t.Errorf("sdk form = %q, want %q", got, r.sdkForm)
			}
			if ev != r.engineVersion {
				t.Errorf("engineVersion = %q, want %q", ev, r.engineVersion)
			}
		})
	}
	entries, err := os.ReadDir("testdata/corpus/dagger-json")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "dagger.json") && !seen[e.Name()] {
			t.Errorf("%s is not in the manifest", e.Name())
		}
	}
}

// sdkForm renders an SDK the way MANIFEST.tsv's sdk_form column does.
func sdkForm(s *SDK) string {
	if s == nil {
		return "absent"
	}
	form := s.Form + ":"
	switch {
	case s.Remote != nil:
		ref := map[string]string{"commit": "sha"}[s.Remote.RefKind]
		if ref == "" {
			ref = s.Remote.RefKind
		}
		return form + "git(" + s.Remote.Host + ",ref=" + ref + ")"
	case s.Local:
		return form + "local-path"
	}
	return form + s.Source
}

func readCorpus(t *testing.T, name string) []byte {
	t.Helper()
	for _, dir := range []string{"testdata/corpus/dagger-json", "testdata/corpus/dagger-lock-and-toml"} {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			return data
		}
	}
	t.Fatalf("corpus file %s not found", name)
	return nil
}
