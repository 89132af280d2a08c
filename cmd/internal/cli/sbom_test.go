package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSBOMCommand(t *testing.T) {
	t.Parallel()
	clean := filepath.Join("..", "..", "..", "testdata", "repos", "clean")
	outFile := filepath.Join(t.TempDir(), "bom.cdx.json")
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  string // substring of stdout
		stderr  string // substring of stderr
		outFile string
	}{
		{"json", []string{"sbom", clean}, 0, `"specVersion": "1.6"`, "", ""},
		{"spec 1.5", []string{"sbom", clean, "--spec-version", "1.5"}, 0, `"specVersion": "1.5"`, "", ""},
		{"xml", []string{"sbom", clean, "--format", "xml"}, 0, `xmlns="http://cyclonedx.org/schema/bom/1.6"`, "", ""},
		{"to file", []string{"sbom", clean, "-o", outFile}, 0, "", "", outFile},
		{"bad format", []string{"sbom", clean, "--format", "spdx"}, 2, "", `unknown format "spdx"`, ""},
		{"bad version", []string{"sbom", clean, "--spec-version", "1.4"}, 2, "", `unknown spec version "1.4"`, ""},
		{"malformed dagger.json", []string{"sbom", filepath.Join(clean, "..", "malformed-json")}, 2, "", "dagger.json:", ""},
		{"malformed pinline.yaml", []string{"sbom", filepath.Join(clean, "..", "malformed-yaml")}, 2, "", "pinline.yaml", ""},
		{"missing path", []string{"sbom", filepath.Join(clean, "nope")}, 2, "", "nope", ""},
		{"two paths", []string{"sbom", clean, clean}, 2, "", "accepts at most 1 arg", ""},
		{"unwritable output", []string{"sbom", clean, "-o", filepath.Join(clean, "no-such-dir", "x.json")}, 3, "", "no-such-dir", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stdout %q / stderr %q: want %q / %q", trim(stdout), stderr, tc.stdout, tc.stderr)
			}
			if tc.outFile != "" {
				data, err := os.ReadFile(tc.outFile)
				if err != nil {
					t.Fatal(err)
				}
				var bom struct {
					BOMFormat  string            `json:"bomFormat"`
					Components []json.RawMessage `json:"components"`
				}
				if err := json.Unmarshal(data, &bom); err != nil || bom.BOMFormat != "CycloneDX" || len(bom.Components) == 0 {
					t.Errorf("output file: %v %+v", err, bom)
				}
				if stdout != "" {
					t.Errorf("stdout not empty with -o: %q", trim(stdout))
				}
			}
		})
	}
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
