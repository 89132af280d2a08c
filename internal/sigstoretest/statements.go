package sigstoretest

import (
	"encoding/json"
	"testing"
)

// Provenance is an in-toto statement of SLSA v1 provenance about one
// subject (name, sha256 hex) in the GitHub Actions build type's shape: the
// workflow of repo (owner/repo) at path and ref, run by builderID.
func Provenance(tb testing.TB, name, sha256Hex, builderID, repo, path, ref string) []byte {
	tb.Helper()
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": name, "digest": map[string]string{"sha256": sha256Hex}}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType": "https://actions.github.io/buildtypes/workflow/v1",
				"externalParameters": map[string]any{"workflow": map[string]any{
					"ref": ref, "repository": "https://github.com/" + repo, "path": path}},
			},
			"runDetails": map[string]any{"builder": map[string]any{"id": builderID}},
		},
	}
	b, err := json.Marshal(st)
	must(tb, err)
	return b
}
