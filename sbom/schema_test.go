package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The official CycloneDX schemas, copied from the cyclonedx-go module's
// schema/ directory (Apache-2.0, see testdata/schema/LICENSE). jsf-0.82 is
// shipped there as jsf-0.82.schemax.json; it is stored here under the name
// the BOM schemas refer to.
const schemaBase = "http://cyclonedx.org/schema/"

var schemaFiles = []string{"bom-1.6.schema.json", "bom-1.5.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"}

var (
	schemaOnce sync.Once
	schemas    map[string]*jsonschema.Schema
	schemaErr  error
)

func loadSchemas() {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	// Everything is local: any URL not added below fails to load.
	c.UseLoader(noNetwork{})
	for _, f := range schemaFiles {
		b, err := os.ReadFile(filepath.Join("testdata", "schema", f))
		if err != nil {
			schemaErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			schemaErr = err
			return
		}
		if err := c.AddResource(schemaBase+f, doc); err != nil {
			schemaErr = err
			return
		}
	}
	schemas = map[string]*jsonschema.Schema{}
	for _, v := range []string{"1.6", "1.5"} {
		s, err := c.Compile(schemaBase + "bom-" + v + ".schema.json")
		if err != nil {
			schemaErr = err
			return
		}
		schemas[v] = s
	}
}

type noNetwork struct{}

func (noNetwork) Load(url string) (any, error) {
	return nil, &os.PathError{Op: "load schema (no network in tests)", Path: url, Err: os.ErrNotExist}
}

// validateJSON checks a JSON BOM against the official schema of its
// specVersion and returns the decoded document.
func validateJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	schemaOnce.Do(loadSchemas)
	if schemaErr != nil {
		t.Fatalf("load schemas: %v", schemaErr)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("bom is not JSON: %v", err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		t.Fatalf("bom is not a JSON object")
	}
	v, _ := m["specVersion"].(string)
	s := schemas[v]
	if s == nil {
		t.Fatalf("bom has specVersion %q; no schema", v)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("bom (spec %s) does not validate against the official schema: %v\n%s", v, err, data)
	}
	var plain map[string]any
	if err := json.Unmarshal(data, &plain); err != nil {
		t.Fatal(err)
	}
	return plain
}

// encode writes bom as JSON in version and validates it.
func encode(t *testing.T, bom *cdx.BOM, version cdx.SpecVersion) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, bom, FormatJSON, version); err != nil {
		t.Fatal(err)
	}
	checkRefs(t, validateJSON(t, buf.Bytes()))
	return buf.Bytes()
}

// checkRefs checks what the schema cannot: bom-refs are unique across the
// document, and every reference (dependencies, compositions, task inputs and
// outputs, workflow resources) points at one of them.
func checkRefs(t *testing.T, doc map[string]any) {
	t.Helper()
	for _, p := range refProblems(doc) {
		t.Error(p)
	}
}

func refProblems(doc map[string]any) []string {
	var problems []string
	defined := map[string]bool{}
	var refs []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				switch k {
				case "bom-ref":
					r, _ := c.(string)
					if defined[r] {
						problems = append(problems, fmt.Sprintf("bom-ref %q defined twice", r))
					}
					defined[r] = true
				case "ref":
					r, _ := c.(string)
					refs = append(refs, r)
				case "dependsOn", "assemblies", "dependencies":
					if key == "" && k == "dependencies" {
						break // the top-level dependencies array is walked below
					}
					if l, ok := c.([]any); ok {
						for _, e := range l {
							if r, ok := e.(string); ok {
								refs = append(refs, r)
							}
						}
					}
				}
				walk(c, k)
			}
		case []any:
			for _, c := range x {
				walk(c, key)
			}
		}
	}
	walk(doc, "")
	for _, r := range refs {
		if !defined[r] {
			problems = append(problems, fmt.Sprintf("reference to undefined bom-ref %q", r))
		}
	}
	return problems
}

func TestSchemaRejectsInvalidBOM(t *testing.T) {
	t.Parallel()
	schemaOnce.Do(loadSchemas)
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	for name, doc := range map[string]string{
		"bad hash":         `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"file","name":"x","hashes":[{"alg":"SHA-256","content":"h1:zzz"}]}]}`,
		"bad type":         `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"gizmo","name":"x"}]}`,
		"task without uid": `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"formulation":[{"workflows":[{"bom-ref":"w","uid":"w","taskTypes":["build"],"tasks":[{"bom-ref":"t","taskTypes":["build"]}]}]}]}`,
		"bad serial":       `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"serialNumber":"42"}`,
		"null deps":        `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"dependencies":null}`,
	} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(doc)))
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas["1.6"].Validate(doc); err == nil {
			t.Errorf("%s: schema accepted an invalid BOM", name)
		}
	}
}

func TestCheckRefsCatchesDanglingAndDuplicate(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]map[string]any{
		"dangling": {"components": []any{map[string]any{"bom-ref": "a"}},
			"dependencies": []any{map[string]any{"ref": "a", "dependsOn": []any{"b"}}}},
		"duplicate": {"components": []any{map[string]any{"bom-ref": "a"}, map[string]any{"bom-ref": "a"}}},
		"composition": {"components": []any{map[string]any{"bom-ref": "a"}},
			"compositions": []any{map[string]any{"aggregate": "complete", "assemblies": []any{"z"}}}},
	} {
		if len(refProblems(doc)) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}
