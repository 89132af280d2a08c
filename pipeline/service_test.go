package pipeline

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/record"
)

// TestServiceProvenance: a run the control plane submitted states exactly
// the submission as externalParameters and what the server chose as
// internalParameters; a client run keeps its parameters.
func TestServiceProvenance(t *testing.T) {
	t.Parallel()
	run := &record.Run{ID: "20260101T000000Z-01020304", Tier: "release", BuilderID: "https://b/release", CacheMode: CacheModeRW,
		Spec:      record.SpecRef{Path: "pinline.yaml", SHA256: "ab"},
		Requested: []string{"build"},
		Outputs:   []record.Output{{File: "outputs/x", SHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}},
		Service: &record.ServerRun{Repository: "https://git/x.git", Commit: "c0ffee", SpecPath: "pinline.yaml", Tasks: []string{"build"},
			Tier: "release", Engine: "unix:///e.sock", ServerVersion: "v9", SignerKeyID: "kid"}}
	// Set field by field: works whether record.Repository holds them or
	// embeds them.
	run.Repository.URI, run.Repository.Commit = "https://git/x.git", "c0ffee"
	st, err := attest.Statement(BuildDescription(run, "v9"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st.Predicate.AsMap()["buildDefinition"])
	var bd struct {
		External map[string]any `json:"externalParameters"`
		Internal map[string]any `json:"internalParameters"`
	}
	if err := json.Unmarshal(b, &bd); err != nil {
		t.Fatal(err)
	}
	ext, _ := json.Marshal(bd.External)
	if want := `{"source":{"commit":"c0ffee","uri":"https://git/x.git"},"spec":{"path":"pinline.yaml"},"tasks":["build"]}`; string(ext) != want {
		t.Errorf("externalParameters %s, want %s", ext, want)
	}
	if bd.Internal["tier"] != "release" || bd.Internal["engine"] != "unix:///e.sock" || bd.Internal["serverVersion"] != "v9" || bd.Internal["cacheMode"] != "rw" {
		t.Errorf("internalParameters %v", bd.Internal)
	}
	run.Service = nil
	st, _ = attest.Statement(BuildDescription(run, "v9"))
	if ext := st.Predicate.AsMap()["buildDefinition"].(map[string]any)["externalParameters"].(map[string]any); ext["tier"] != "release" {
		t.Errorf("client run externalParameters %v", ext)
	}
}

// TestRunIDOption: a caller-given run id must be a valid one.
func TestRunIDOption(t *testing.T) {
	t.Parallel()
	o := Options{Spec: testSpec(), Root: t.TempDir(), Backend: BackendHost, RunID: "../x"}
	if err := o.defaults(); !errors.Is(err, ErrInvalid) {
		t.Errorf("run id ../x: %v", err)
	}
	o.RunID = NewRunID(fixedNow{})
	if err := o.defaults(); err != nil {
		t.Errorf("valid run id %q: %v", o.RunID, err)
	}
}

type fixedNow struct{}

func (fixedNow) Format(string) string { return "20260101T000000Z" }
