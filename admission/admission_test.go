package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"github.com/pinline/pinline/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const testKey = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtest0000000000000000000000000000\n-----END PUBLIC KEY-----\n"

func opts() Options {
	return Options{PublicKeyPEM: testKey, BuilderID: "https://pinline.dev/builders/trusted", Tier: "trusted", Images: []string{"registry.example/team/*"}}
}

// crdSchema reads the openAPIV3Schema of version from a CRD file and makes
// it strict: every object with properties rejects unknown fields unless
// the CRD says x-kubernetes-preserve-unknown-fields. nullable becomes a
// null type; CEL rules (x-kubernetes-validations) are not evaluated.
func crdSchema(t *testing.T, file, version string) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Kind string `json:"kind"`
			} `json:"names"`
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name != version {
			continue
		}
		s := strict(v.Schema.OpenAPIV3Schema).(map[string]any)
		// The API server's own root fields, exactly this CRD's group,
		// version and kind.
		props := s["properties"].(map[string]any)
		props["apiVersion"] = map[string]any{"const": crd.Spec.Group + "/" + version}
		props["kind"] = map[string]any{"const": crd.Spec.Names.Kind}
		if _, ok := props["metadata"]; !ok {
			props["metadata"] = map[string]any{"type": "object"}
		}
		s["required"] = []any{"apiVersion", "kind", "metadata", "spec"}
		b, _ := json.Marshal(s)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource("crd.json", doc); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile("crd.json")
		if err != nil {
			t.Fatal(err)
		}
		return sch
	}
	t.Fatalf("%s has no version %s", file, version)
	return nil
}

func strict(v any) any {
	switch n := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, c := range n {
			switch {
			case strings.HasPrefix(k, "x-kubernetes-"), k == "nullable", k == "format", k == "default", k == "example":
			default:
				out[k] = strict(c)
			}
		}
		if nb, _ := n["nullable"].(bool); nb {
			if typ, ok := n["type"].(string); ok {
				out["type"] = []any{typ, "null"}
			}
		}
		if ios, _ := n["x-kubernetes-int-or-string"].(bool); ios {
			out["type"] = []any{"integer", "string"}
		}
		preserve, _ := n["x-kubernetes-preserve-unknown-fields"].(bool)
		if _, hasProps := n["properties"]; hasProps && !preserve {
			if _, set := n["additionalProperties"]; !set {
				out["additionalProperties"] = false
			}
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, c := range n {
			out[i] = strict(c)
		}
		return out
	}
	return v
}

func validate(t *testing.T, sch *jsonschema.Schema, manifest []byte) error {
	t.Helper()
	j, err := yaml.YAMLToJSON(manifest)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

func TestExportMatchesCRDs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		format, env, version, golden string
		// deep is a field renamed deep inside the manifest: the strict
		// schema must reject the misspelling.
		deep [2]string
	}{
		{FormatKyverno, "PINLINE_KYVERNO_CRD", "v1", "kyverno.golden.yaml", [2]string{"ignoreTlog:", "ignoreTLog:"}},
		{FormatPolicyController, "PINLINE_POLICY_CONTROLLER_CRD", "v1beta1", "policy-controller.golden.yaml", [2]string{"hashAlgorithm:", "hashAlgo:"}},
	} {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			sch := crdSchema(t, testenv.Require(t, tt.env, "hack/setup.d/70-admission-crds.sh"), tt.version)
			got, err := Export(tt.format, opts())
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, sch, got); err != nil {
				t.Fatalf("%s does not match the CRD schema:\n%v\n%s", tt.format, err, got)
			}
			// The strict schema is strict: an unknown field fails.
			bad := bytes.Replace(got, []byte("\nspec:\n"), []byte("\nspec:\n  pinlineUnknownField: true\n"), 1)
			if err := validate(t, sch, bad); err == nil {
				t.Fatalf("the schema accepted an unknown field:\n%s", bad)
			}
			bad = bytes.Replace(got, []byte(tt.deep[0]), []byte(tt.deep[1]), 1)
			if bytes.Equal(bad, got) {
				t.Fatalf("%q not in the manifest", tt.deep[0])
			}
			if err := validate(t, sch, bad); err == nil {
				t.Fatalf("the schema accepted %s:\n%s", tt.deep[1], bad)
			}
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (go test -update):\n%s", tt.format, golden, got)
			}
		})
	}
}

// TestPolicyControllerRego evaluates the exported attestation policy the
// way policy-controller does (data.sigstore.isCompliant on the statement).
func TestPolicyControllerRego(t *testing.T) {
	t.Parallel()
	src := provenanceRego(opts())
	eval := func(st map[string]any) bool {
		r := rego.New(rego.Query("data.sigstore.isCompliant"), rego.Module("p.rego", src), rego.Input(st))
		rs, err := r.Eval(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(rs) == 1 && rs[0].Expressions[0].Value == true
	}
	st := func(builder, tier, ptype string) map[string]any {
		return map[string]any{"predicateType": ptype, "predicate": map[string]any{
			"runDetails":      map[string]any{"builder": map[string]any{"id": builder}},
			"buildDefinition": map[string]any{"externalParameters": map[string]any{"tier": tier}}}}
	}
	if !eval(st("https://pinline.dev/builders/trusted", "trusted", PredicateSLSAProvenanceV1)) {
		t.Error("compliant provenance denied")
	}
	for name, s := range map[string]map[string]any{
		"builder":   st("https://pinline.dev/builders/untrusted", "trusted", PredicateSLSAProvenanceV1),
		"tier":      st("https://pinline.dev/builders/trusted", "untrusted", PredicateSLSAProvenanceV1),
		"predicate": st("https://pinline.dev/builders/trusted", "trusted", "https://cyclonedx.org/bom"),
		"empty":     {},
	} {
		if eval(s) {
			t.Errorf("%s: non-compliant provenance allowed", name)
		}
	}
}

func TestExportBadInput(t *testing.T) {
	t.Parallel()
	for name, mod := range map[string]func(*Options){
		"no builder":      func(o *Options) { o.BuilderID = "" },
		"not a key":       func(o *Options) { o.PublicKeyPEM = "hello" },
		"jmespath":        func(o *Options) { o.BuilderID = "{{ request.object }}" },
		"quote in tier":   func(o *Options) { o.Tier = `a" || true` },
		"bad name":        func(o *Options) { o.Name = "Pinline_Policy" },
		"newline in glob": func(o *Options) { o.Images = []string{"a\nb"} },
	} {
		o := opts()
		mod(&o)
		if _, err := Export(FormatKyverno, o); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := Export("gatekeeper", opts()); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "valid formats") {
		t.Errorf("unknown format: %v", err)
	}
}
