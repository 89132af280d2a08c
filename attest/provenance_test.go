package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// normalise replaces the volatile fields (times, invocation id) of a
// provenance statement.
func normalise(t *testing.T, statement []byte) []byte {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(statement, &st); err != nil {
		t.Fatal(err)
	}
	md := st["predicate"].(map[string]any)["runDetails"].(map[string]any)["metadata"].(map[string]any)
	for _, k := range []string{"startedOn", "finishedOn", "invocationId"} {
		if _, ok := md[k]; !ok {
			t.Fatalf("metadata.%s missing", k)
		}
		md[k] = "<" + k + ">"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestProvenanceGolden(t *testing.T) {
	t.Parallel()
	got, err := StatementJSON(sampleDescription(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	norm := normalise(t, got)
	golden := filepath.Join("testdata", "provenance.golden.json")
	if *update {
		if err := os.WriteFile(golden, norm, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(norm)); diff != "" {
		t.Errorf("provenance differs from %s (-want +got):\n%s", golden, diff)
	}
}

func TestProvenanceFields(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	st, err := Statement(sampleDescription(start))
	if err != nil {
		t.Fatal(err)
	}
	if st.GetType() != StatementTypeV1 || st.GetPredicateType() != PredicateSLSAProvenanceV1 {
		t.Fatalf("types: %s %s", st.GetType(), st.GetPredicateType())
	}
	b, _ := MarshalStatement(st)
	var doc struct {
		Predicate provenanceDoc `json:"predicate"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Predicate
	if p.BuildDefinition.BuildType != BuildType || p.RunDetails.Builder.ID != "https://pinline.dev/builders/trusted" ||
		p.BuildDefinition.ExternalParameters.Tier != "trusted" || p.BuildDefinition.ExternalParameters.Source.URI != "git+https://example.test/acme/app" {
		t.Errorf("unexpected provenance: %+v", p)
	}
	var meta struct {
		Predicate struct {
			RunDetails struct {
				Metadata struct{ StartedOn string } `json:"metadata"`
			} `json:"runDetails"`
		} `json:"predicate"`
	}
	_ = json.Unmarshal(b, &meta)
	if got := meta.Predicate.RunDetails.Metadata.StartedOn; got != "2026-01-02T02:04:05Z" {
		t.Errorf("startedOn = %q, want UTC", got)
	}
}

// TestProvenanceGatewayParameters: a run through the gateway states the
// identity and cache isolation in internalParameters.gateway; a direct run
// has no such key.
func TestProvenanceGatewayParameters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		gw   *Gateway
		want map[string]any
	}{
		{"gateway", &Gateway{Address: "gw:8443", Identity: "cn:ci", CacheMode: "shared"},
			map[string]any{"address": "gw:8443", "identity": "cn:ci", "cacheMode": "shared"}},
		{"direct", nil, nil},
	} {
		d := sampleDescription(time.Now())
		d.Internal.Gateway = tc.gw
		b, err := StatementJSON(d)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Predicate struct {
				BuildDefinition struct {
					Internal map[string]any `json:"internalParameters"`
				} `json:"buildDefinition"`
			} `json:"predicate"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		got, ok := doc.Predicate.BuildDefinition.Internal["gateway"]
		if tc.want == nil && ok {
			t.Errorf("%s: unexpected internalParameters.gateway %v", tc.name, got)
		}
		if tc.want != nil {
			if diff := cmp.Diff(any(tc.want), got); diff != "" {
				t.Errorf("%s: internalParameters.gateway (-want +got):\n%s", tc.name, diff)
			}
		}
	}
}

func TestProvenanceRejectsBadDescriptions(t *testing.T) {
	t.Parallel()
	base := sampleDescription(time.Now())
	tests := map[string]func(d *BuildDescription){
		"no subjects":      func(d *BuildDescription) { d.Subjects = nil },
		"short digest":     func(d *BuildDescription) { d.Subjects[0].SHA256 = "abc" },
		"upper-case hex":   func(d *BuildDescription) { d.Subjects[0].SHA256 = sha("x")[:60] + "ABCD" },
		"unnamed subject":  func(d *BuildDescription) { d.Subjects[0].Name = "" },
		"no builder id":    func(d *BuildDescription) { d.BuilderID = "" },
		"image tag digest": func(d *BuildDescription) { d.Dependencies.Images[0].Digest = "latest" },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := base
			d.Subjects = append([]Subject(nil), base.Subjects...)
			d.Dependencies.Images = append([]Image(nil), base.Dependencies.Images...)
			mutate(&d)
			if _, err := Statement(d); !errors.Is(err, ErrInvalidDescription) {
				t.Fatalf("err = %v, want ErrInvalidDescription", err)
			}
		})
	}
}

// protojson varies its whitespace with the hash of the running binary, so a
// payload that is not compacted differs between two builds of pinline. The
// signed payload and the bundle must be compact JSON: compacting them again
// changes nothing.
func TestSignedBytesAreCompact(t *testing.T) {
	t.Parallel()
	k := newTestKey(t, "compact")
	desc := sampleDescription(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	payload, err := StatementJSON(desc)
	if err != nil {
		t.Fatal(err)
	}
	env, bundle := signedProvenance(t, k, desc)
	for _, c := range []struct {
		name string
		data []byte
	}{{"statement", payload}, {"envelope payload", []byte(statementJSON(t, env))}, {"bundle", bundle}} {
		var buf bytes.Buffer
		if err := json.Compact(&buf, c.data); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !bytes.Equal(buf.Bytes(), c.data) {
			t.Errorf("%s is not compact JSON:\n%s", c.name, c.data)
		}
	}
}

// TestProvenanceCallArgDigests: a call's directory argument carries its
// digest in externalParameters.calls[].args and is a resolved dependency;
// a secret argument has neither value nor digest.
func TestProvenanceCallArgDigests(t *testing.T) {
	t.Parallel()
	d := sampleDescription(time.Now())
	d.External.Calls = []Call{{Task: "call", Module: "git+https://example.test/acme/app//ci@0123", Function: "build", Args: []CallArg{
		{Name: "src", Value: ".", Digest: "sha256:" + sha("tree")},
		{Name: "token", Secret: true, Digest: "sha256:" + sha("secret")},
		{Name: "name", Value: "x"},
	}}}
	b, err := StatementJSON(d)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Predicate struct {
			BuildDefinition struct {
				External struct {
					Calls []struct {
						Args []map[string]any `json:"args"`
					} `json:"calls"`
				} `json:"externalParameters"`
				Resolved []struct {
					Name   string            `json:"name"`
					Digest map[string]string `json:"digest"`
				} `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	args := doc.Predicate.BuildDefinition.External.Calls[0].Args
	want := []map[string]any{
		{"name": "src", "value": ".", "digest": map[string]any{"sha256": sha("tree")}},
		{"name": "token", "secret": true},
		{"name": "name", "value": "x"},
	}
	if diff := cmp.Diff(want, args); diff != "" {
		t.Errorf("call args (-want +got):\n%s", diff)
	}
	var found, leaked bool
	for _, r := range doc.Predicate.BuildDefinition.Resolved {
		found = found || r.Name == "call:call:--src=." && r.Digest["sha256"] == sha("tree")
		leaked = leaked || r.Digest["sha256"] == sha("secret")
	}
	if !found || leaked {
		t.Errorf("resolvedDependencies %+v: directory argument found %v, secret digest leaked %v", doc.Predicate.BuildDefinition.Resolved, found, leaked)
	}
}
