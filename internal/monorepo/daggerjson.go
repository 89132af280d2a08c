package monorepo

// The dagger.json-only repository is what bench/conftest.sh gives both
// pinline and conftest, so its dependency forms stay the ones conftest
// policies can read (no module sources).

import (
	"fmt"
	"os"
	"path/filepath"
)

const jsonCommit = "0123456789abcdef0123456789abcdef01234567"

// GenerateDaggerJSON writes modules Dagger modules under
// dir/modules/mod-NNNN, each with only a dagger.json (a pinned, an
// unpinned, a branch-pinned, a legacy string and a local dependency;
// builtin or remote SDK; some without engineVersion).
func GenerateDaggerJSON(dir string, modules int) error {
	for i := range modules {
		rel := filepath.Join("modules", fmt.Sprintf("mod-%04d", i))
		mdir := filepath.Join(dir, rel)
		if err := os.MkdirAll(mdir, 0o755); err != nil {
			return err
		}
		engine := `"engineVersion": "v0.19.10",`
		if i%7 == 0 {
			engine = ""
		}
		sdk := `"go"`
		if i%5 == 0 {
			sdk = fmt.Sprintf(`{"source": "github.com/acme/sdk@v1.%d.0", "pin": %q}`, i%3, jsonCommit)
		}
		js := fmt.Sprintf(`{
  "name": "mod-%04d",
  %s
  "sdk": %s,
  "source": ".",
  "dependencies": [
    {"name": "pinned", "source": "github.com/acme/pinned@v1.0.0", "pin": %q},
    {"name": "floating", "source": "github.com/acme/floating/sub@v2.%d.0"},
    {"name": "branch", "source": "github.com/acme/branch@main", "pin": %q},
    "github.com/acme/legacy@v0.%d.0",
    {"name": "local", "source": "../mod-%04d"}
  ]
}
`, i, engine, sdk, jsonCommit, i%10, jsonCommit, i%10, (i+1)%modules)
		if err := os.WriteFile(filepath.Join(mdir, "dagger.json"), []byte(js), 0o644); err != nil {
			return err
		}
	}
	return nil
}
