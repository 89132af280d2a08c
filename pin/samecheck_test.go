package pin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pinline/pinline/inventory"
)

// unpinnedByCheck lists, from the inventory check uses, what pin must
// offer to pin: remote SDKs and dependencies without a commit pin, images
// without a digest (spec, lock and module source), floating lock entries.
// Each as kind@file:line:col.
func unpinnedByCheck(inv *inventory.Inventory) []string {
	var out []string
	add := func(kind string, p inventory.Position) {
		out = append(out, fmt.Sprintf("%s@%s:%d:%d", kind, p.File, p.Line, p.Column))
	}
	for _, m := range inv.Modules {
		if m.SDK != nil && m.SDK.Remote != nil && !m.SDK.Pinned {
			add("module", m.SDK.Pos)
		}
		for _, d := range m.Dependencies {
			if d.Remote != nil && !d.Pinned {
				add("module", d.Pos)
			}
		}
		// What check --env <name> sees: pin pins every overlay.
		for _, e := range m.Envs {
			for _, d := range e.Modules {
				if d.Remote != nil && !d.Pinned {
					add("module", d.Pos)
				}
			}
		}
	}
	for _, im := range inv.Images {
		if im.Digest == "" && im.Origin != "lock" && im.Origin != "dagger.json" {
			add("image", im.Pos)
		}
	}
	for _, l := range inv.Locks {
		if l.Floating && (l.Kind == inventory.LockContainerFrom || strings.HasPrefix(l.Kind, "git.")) {
			kind := "module"
			if l.Kind == inventory.LockContainerFrom {
				kind = "image"
			}
			add(kind, l.Pos)
		}
	}
	slices.Sort(out)
	return out
}

// comparePinCheck runs pin --check --offline and the check inventory over
// dir and reports where they disagree: same items at the same positions.
// Entries pin leaves alone with a note (not written literally) count as
// seen by pin.
func comparePinCheck(t *testing.T, dir string) (int, []string) {
	t.Helper()
	rep, err := Run(context.Background(), Options{Root: dir, Check: true, Offline: true})
	if err != nil {
		return 0, []string{fmt.Sprintf("%s: pin: %v", dir, err)}
	}
	inv, err := inventory.Collect(context.Background(), inventory.Options{Root: dir})
	if err != nil {
		return 0, []string{fmt.Sprintf("%s: check: %v", dir, err)}
	}
	var got []string
	for _, c := range rep.Changes {
		got = append(got, fmt.Sprintf("%s@%s:%d:%d", c.Kind, c.Pos.File, c.Pos.Line, c.Pos.Column))
	}
	for _, n := range rep.Notes {
		got = append(got, fmt.Sprintf("image@%s:%d:%d", n.Pos.File, n.Pos.Line, n.Pos.Column))
	}
	slices.Sort(got)
	want := unpinnedByCheck(inv)
	var diff []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			diff = append(diff, dir+": check sees, pin does not: "+w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) && !strings.HasPrefix(g, "image@") || strings.HasPrefix(g, "image@") && !slices.Contains(want, g) && !noteOnly(rep, g) {
			diff = append(diff, dir+": pin sees, check does not: "+g)
		}
	}
	return len(want), diff
}

func noteOnly(rep *Report, g string) bool {
	for _, n := range rep.Notes {
		if fmt.Sprintf("image@%s:%d:%d", n.Pos.File, n.Pos.Line, n.Pos.Column) == g {
			return true
		}
	}
	return false
}

// TestPinMatchesCheckSharedCorpus: on the 112 real dagger.json files of
// the shared corpus (inventory/testdata/corpus holds them; PINLINE_CORPUS
// names another copy, such as ../shared/corpus), pin and check see the
// same unpinned items at the same positions (same duplicate-key rule, same
// columns).
func TestPinMatchesCheckSharedCorpus(t *testing.T) {
	t.Parallel()
	corpus := os.Getenv("PINLINE_CORPUS")
	if corpus == "" {
		corpus = "../inventory/testdata/corpus"
	}
	files, _ := filepath.Glob(filepath.Join(corpus, "dagger-json", "*dagger.json"))
	if len(files) < 100 {
		t.Fatalf("%d dagger.json files in %s, want the 112 of the corpus", len(files), corpus)
	}
	total := 0
	for _, f := range files {
		dir := t.TempDir()
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "dagger.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		n, diff := comparePinCheck(t, dir)
		total += n
		for _, d := range diff {
			t.Errorf("%s: %s", filepath.Base(f), d)
		}
	}
	t.Logf("%d files, %d unpinned items seen by both", len(files), total)
	if total == 0 {
		t.Error("no unpinned item in the corpus: the comparison compared nothing")
	}
}

// TestPinMatchesCheckCases: the shapes on which pin and check used to
// disagree.
func TestPinMatchesCheckCases(t *testing.T) {
	t.Parallel()
	c := strings.Repeat("ab", 20)
	cases := map[string]map[string]string{
		"unpinned dependency": {"dagger.json": `{"name": "m", "dependencies": [{"name": "a", "source": "github.com/acme/a@v1"}]}`},
		"duplicate dependencies key, the last wins": {"dagger.json": `{"name": "m",
  "dependencies": [{"name": "a", "source": "github.com/acme/a@v1", "pin": "` + c + `"}],
  "dependencies": [{"name": "a", "source": "github.com/acme/a@v2"}]}`},
		"duplicate pin key, the last wins": {"dagger.json": `{"name": "m", "dependencies": [{"name": "a", "source": "github.com/acme/a@v1", "pin": "` + c + `", "pin": ""}]}`},
		"string-form remote SDK":           {"dagger.json": `{"name": "m", "sdk": "github.com/acme/sdk@main"}`},
		"object remote SDK":                {"dagger.json": `{"name": "m", "sdk": {"source": "github.com/acme/sdk@main"}}`},
		"dagger-module.toml":               {"dagger-module.toml": "name = \"m\"\n[runtime]\nsource = \"github.com/acme/sdk@v1\"\n[[dependencies]]\nname = \"a\"\nsource = \"github.com/acme/a@v1\"\n"},
		"dagger.toml workspace":            {"dagger.toml": "[modules.a]\nsource = \"github.com/acme/a@main\"\n"},
		"dagger.toml env overlay":          {"dagger.toml": "[modules.a]\nsource = \"github.com/acme/a@main\"\n\n[env.ci.modules.scan]\nsource = \"github.com/acme/scan@v1\"\n"},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for n, content := range files {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			n, diff := comparePinCheck(t, dir)
			if n == 0 {
				t.Error("check sees nothing unpinned")
			}
			for _, d := range diff {
				t.Error(d)
			}
		})
	}
}
