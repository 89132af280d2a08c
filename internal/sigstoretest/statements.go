package sigstoretest

import (
	"encoding/json"
)

// Provenance is an in-toto statement of SLSA v1 provenance about one
// subject (name, sha256 hex) in the GitHub Actions build type's shape: the
// workflow of repo (owner/repo) at path and ref, run by builderID.
func Provenance(tb TB, name, sha256Hex, builderID, repo, path, ref string) []byte {
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

// ProvenanceV02 is an in-toto Statement v0.1 of SLSA v0.2 provenance, the
// shape slsa-github-generator v1 writes to its .intoto.jsonl files: the
// builder workflow builderID building repo (owner/repo) at ref.
func ProvenanceV02(tb TB, name, sha256Hex, builderID, repo, ref string) []byte {
	tb.Helper()
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"subject":       []any{map[string]any{"name": name, "digest": map[string]string{"sha256": sha256Hex}}},
		"predicateType": "https://slsa.dev/provenance/v0.2",
		"predicate": map[string]any{
			"builder":   map[string]any{"id": builderID},
			"buildType": "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
			"invocation": map[string]any{
				"configSource": map[string]any{"uri": "git+https://github.com/" + repo + "@" + ref,
					"digest": map[string]string{"sha1": "0123456789abcdef0123456789abcdef01234567"}, "entryPoint": ".github/workflows/release.yml"},
				"environment": map[string]any{"github_ref": ref, "github_repository": repo, "github_event_name": "push"},
			},
		},
	}
	b, err := json.Marshal(st)
	must(tb, err)
	return b
}
