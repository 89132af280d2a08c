package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// examples are the specs that must be valid: the spec testdata, the
// example repositories and the commented example in docs/pinline-yaml.md.
func examples(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, g := range []string{"testdata/specs/*.yaml", "../testdata/repos/*/pinline.yaml"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	out = append(out, docExample(t))
	if len(out) < 4 {
		t.Fatalf("only %d example specs found", len(out))
	}
	return out
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("../docs/pinline.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func yamlToJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	// Round-trip through JSON to get the types the validator expects.
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestExamplesMatchSchema checks that every example spec validates
// against docs/pinline.schema.json and parses with the Go parser.
func TestExamplesMatchSchema(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	for _, p := range examples(t) {
		if filepath.Base(filepath.Dir(p)) == "malformed-yaml" {
			continue
		}
		if err := sch.Validate(yamlToJSON(t, p)); err != nil {
			t.Errorf("%s does not match the schema: %v", p, err)
		}
		if _, err := Load(p); err != nil {
			t.Errorf("%s does not parse: %v", p, err)
		}
	}
}

// TestInvalidRejectedByBoth checks that the schema and the parser agree
// on specs that are invalid.
func TestInvalidRejectedByBoth(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	bad, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(bad) == 0 {
		t.Fatalf("no invalid specs: %v", err)
	}
	for _, p := range bad {
		if err := sch.Validate(yamlToJSON(t, p)); err == nil {
			t.Errorf("%s: schema accepts it", p)
		}
		if _, err := Load(p); err == nil {
			t.Errorf("%s: parser accepts it", p)
		}
	}
}

// docExample extracts the first yaml block of docs/pinline-yaml.md into a
// temporary file.
func docExample(t *testing.T) string {
	t.Helper()
	md, err := os.ReadFile("../docs/pinline-yaml.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(md), "```yaml\n")
	if !ok {
		t.Fatal("docs/pinline-yaml.md has no yaml example")
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("unterminated yaml block in docs/pinline-yaml.md")
	}
	p := filepath.Join(t.TempDir(), "pinline.yaml")
	if err := os.WriteFile(p, []byte(block), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
