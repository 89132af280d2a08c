package sbom

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/pinline/pinline/inventory"
)

// corpusDir is the corpus of real-world Dagger files, kept in the
// repository under inventory/testdata/corpus (PINLINE_CORPUS overrides).
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PINLINE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "inventory", "testdata", "corpus")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("corpus not available: %v", err)
	}
	return dir
}

// TestCorpusBOMsValidate builds a static BOM for every real dagger.json,
// dagger.lock and TOML config of the corpus, each collected by the real
// inventory, and validates it against the CycloneDX 1.6 and 1.5 schemas.
func TestCorpusBOMsValidate(t *testing.T) {
	t.Parallel()
	corpus := corpusDir(t)
	var files [][2]string // corpus file, name to give it
	jsons, _ := filepath.Glob(filepath.Join(corpus, "dagger-json", "*dagger.json"))
	for _, f := range jsons {
		files = append(files, [2]string{f, "dagger.json"})
	}
	others, _ := filepath.Glob(filepath.Join(corpus, "dagger-lock-and-toml", "*__*"))
	for _, f := range others {
		_, name, _ := strings.Cut(filepath.Base(f), "__")
		name = name[strings.LastIndex(name, "__")+2:]
		if name == ".dagger__config.toml" || strings.HasSuffix(f, "config.toml") {
			name = filepath.Join(".dagger", "config.toml")
		}
		files = append(files, [2]string{f, name})
	}
	if len(files) < 100 {
		t.Fatalf("only %d corpus files found in %s", len(files), corpus)
	}
	var withModules, withComponents int
	for _, f := range files {
		t.Run(filepath.Base(f[0]), func(t *testing.T) {
			data, err := os.ReadFile(f[0])
			if err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			writeFile(t, filepath.Join(root, f[1]), data)
			inv, err := inventory.Collect(context.Background(), inventory.Options{Root: root})
			if err != nil {
				t.Fatalf("inventory rejects a real corpus file (none may be rejected): %v", err)
			}
			bom, err := FromInventory(context.Background(), inv, fixedOpts)
			if err != nil {
				t.Fatal(err)
			}
			encode(t, bom, cdx.SpecVersion1_6)
			encode(t, bom, cdx.SpecVersion1_5)
			if len(inv.Modules) > 0 {
				withModules++
			}
			if len(*bom.Components) > 0 {
				withComponents++
			}
		})
	}
	t.Logf("%d corpus files, %d with modules, %d BOMs with components", len(files), withModules, withComponents)
	if withComponents < len(jsons)/2 {
		t.Errorf("only %d of %d BOMs have components", withComponents, len(files))
	}
}

// TestExampleRepos builds the static BOM of the example repositories with
// the real inventory and compares it with golden files.
func TestExampleRepos(t *testing.T) {
	t.Parallel()
	for _, repo := range []string{"clean", "unpinned"} {
		t.Run(repo, func(t *testing.T) {
			t.Parallel()
			root := filepath.Join("..", "testdata", "repos", repo)
			inv, err := inventory.Collect(context.Background(), inventory.Options{Root: root})
			if err != nil {
				t.Fatal(err)
			}
			bom, err := FromInventory(context.Background(), inv, fixedOpts)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "repo-"+repo+".cdx.json", normalise(t, encode(t, bom, cdx.SpecVersion1_6)))
		})
	}
}
