package sbom

import (
	"bytes"
	"context"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
)

// TestXMLRoundTrip decodes the XML BOM with cyclonedx-go and checks that it
// carries the same components, dependencies and tasks as the JSON one.
func TestXMLRoundTrip(t *testing.T) {
	t.Parallel()
	dir, run := fixtureRunDir(t)
	bom, err := ForRun(context.Background(), run, dir, fixtureInventory(), fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []cdx.SpecVersion{cdx.SpecVersion1_6, cdx.SpecVersion1_5} {
		var x bytes.Buffer
		if err := Write(&x, bom, FormatXML, v); err != nil {
			t.Fatal(err)
		}
		var back cdx.BOM
		if err := cdx.NewBOMDecoder(&x, cdx.BOMFileFormatXML).Decode(&back); err != nil {
			t.Fatalf("spec %s: decode xml: %v", v, err)
		}
		if back.SpecVersion != v {
			t.Errorf("xml spec version %s, want %s", back.SpecVersion, v)
		}
		if diff := cmp.Diff(refSet(componentsByRef(bom)), refSet(componentsByRef(&back))); diff != "" {
			t.Errorf("spec %s: components differ:\n%s", v, diff)
		}
		if got, want := len(*back.Dependencies), len(*bom.Dependencies); got != want {
			t.Errorf("spec %s: %d dependencies, want %d", v, got, want)
		}
		tasks := (*(*back.Formulation)[0].Workflows)[0].Tasks
		if tasks == nil || len(*tasks) != len(run.Tasks) {
			t.Errorf("spec %s: tasks = %v", v, tasks)
		}
	}
}

func refSet(m map[string]cdx.Component) []string { return sortedKeys(m) }

// TestDeterministic builds the same run BOM twice: the bytes are equal.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	dir, run := fixtureRunDir(t)
	var out [2][]byte
	for i := range out {
		bom, err := ForRun(context.Background(), run, dir, fixtureInventory(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, bom, FormatJSON, cdx.SpecVersion1_6); err != nil {
			t.Fatal(err)
		}
		out[i] = buf.Bytes()
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Errorf("two BOMs of the same run differ:\n%s", cmp.Diff(string(out[0]), string(out[1])))
	}
}
