package report

import (
	"bytes"

	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/record"
)

// writeSBOM writes a CycloneDX 1.6 BOM for run (images, modules, outputs).
func writeSBOM(t testing.TB, path string, run *record.Run) []byte {
	t.Helper()
	comps := []cdx.Component{}
	for _, im := range run.Images {
		c := cdx.Component{Type: cdx.ComponentTypeContainer, Name: im.Name, BOMRef: "image:" + im.Ref, PackageURL: "pkg:oci/" + im.Name}
		if im.Digest != "" {
			c.PackageURL += "@" + im.Digest
			c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: im.Digest[len("sha256:"):]}}
		} else {
			c.Properties = &[]cdx.Property{{Name: "pinline:image:pinned", Value: "false"}}
		}
		comps = append(comps, c)
	}
	for _, m := range run.Modules {
		purl := "pkg:github/acme/daggerverse@" + m.Pin + "#" + m.Name
		props := []cdx.Property{{Name: "pinline:module:kind", Value: "dependency"}, {Name: "pinline:module:pinned-by", Value: "pin"}}
		if m.Pin == "" {
			purl = "pkg:github/acme/daggerverse@main#" + m.Name
			props = []cdx.Property{{Name: "pinline:module:kind", Value: "dependency"}, {Name: "pinline:module:ref", Value: "main"}, {Name: "pinline:module:pinned", Value: "false"}}
		}
		c := cdx.Component{Type: cdx.ComponentTypeLibrary, Name: m.Name, BOMRef: "module:" + purl, PackageURL: purl, Properties: &props}
		comps = append(comps, c)
	}
	for _, o := range run.Outputs {
		comps = append(comps, cdx.Component{Type: cdx.ComponentTypeFile, Name: o.File, BOMRef: "output:" + o.File,
			Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: o.SHA256}, {Algorithm: cdx.HashAlgoSHA512, Value: strings.Repeat("0", 128)}}})
	}
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:00000000-0000-4000-8000-" + sha([]byte(run.ID))[:12]
	bom.Metadata = &cdx.Metadata{
		Timestamp: run.StartedAt.Format("2006-01-02T15:04:05Z"),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "pinline", Version: "0.1.0"}}},
		Component: &cdx.Component{Type: cdx.ComponentTypeApplication, Name: "shop", BOMRef: "app:shop"},
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{}
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, buf.Bytes())
	return buf.Bytes()
}

// writeProvenance writes a DSSE envelope of an in-toto Statement v1 with
// a SLSA v1 predicate, and a sigstore bundle v0.3 around it.
func writeProvenance(t testing.TB, dir string, run *record.Run, rs runSpec, key *ecdsaKey) []byte {
	t.Helper()
	subjects := []any{}
	for _, o := range run.Outputs {
		subjects = append(subjects, map[string]any{"name": o.File, "digest": map[string]string{"sha256": o.SHA256}})
	}
	deps := []any{}
	for _, im := range run.Images {
		deps = append(deps, map[string]any{"uri": "pkg:oci/" + im.Name, "digest": map[string]string{"sha256": trimSHA(im.Digest)}})
	}
	st := map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "subject": subjects, "predicateType": SLSAProvenanceV1,
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType":            "https://pinline.dev/buildtypes/dagger-pipeline/v1",
				"externalParameters":   map[string]any{"spec": run.Spec.Path, "tasks": run.Requested},
				"internalParameters":   map[string]any{"tier": run.Tier, "cacheMode": run.CacheMode},
				"resolvedDependencies": deps,
			},
			"runDetails": map[string]any{
				"builder":  map[string]any{"id": run.BuilderID},
				"metadata": map[string]any{"invocationId": run.ID, "startedOn": run.StartedAt, "finishedOn": run.FinishedAt},
			},
		},
	}
	payload, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	env := &attest.Envelope{PayloadType: attest.PayloadTypeInToto, Payload: payload}
	if !rs.unsigned {
		env, err = attest.SignEnvelope(t.Context(), signerOf(t, key), attest.PayloadTypeInToto, payload)
		if err != nil {
			t.Fatal(err)
		}
	}
	if rs.tamper {
		env.Payload = bytes.Replace(env.Payload, []byte(run.BuilderID), []byte(run.BuilderID+"-forged"), 1)
	}
	envb, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	envb = append(envb, '\n')
	writeFile(t, filepath.Join(dir, record.ProvenanceFile), envb)
	var envMap map[string]any
	_ = json.Unmarshal(envb, &envMap)
	writeJSON(t, filepath.Join(dir, record.BundleFile), map[string]any{
		"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{"publicKey": map[string]any{"hint": "cosign.pub"}},
		"dsseEnvelope":         envMap,
	})
	return envb
}

func trimSHA(s string) string {
	if len(s) > 7 && s[:7] == "sha256:" {
		return s[7:]
	}
	return s
}
