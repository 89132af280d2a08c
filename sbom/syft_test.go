package sbom

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/package-url/packageurl-go"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
)

// syftBin returns the syft CLI built by hack/setup.d/10-tools.sh. Without it
// the test is skipped locally and fails in CI.
func syftBin(t *testing.T) string {
	t.Helper()
	return testenv.Require(t, "PINLINE_SYFT_BIN", "hack/setup.d/10-tools.sh")
}

// goPURLSet returns the Go module purls (without qualifiers) of a list of
// purls, sorted.
func goPURLSet(t *testing.T, purls []string) []string {
	t.Helper()
	var out []string
	for _, s := range purls {
		p, err := packageurl.FromString(s)
		if err != nil {
			t.Fatalf("bad purl %q: %v", s, err)
		}
		if p.Type != packageurl.TypeGolang {
			continue
		}
		p.Qualifiers = nil
		out = append(out, p.ToString())
	}
	sort.Strings(out)
	return out
}

// TestSyftFindsSameGoModules scans the same Go binary with syft (a
// generator nobody here wrote) and with pinline: both must list the same Go
// modules, and pinline's BOM must link the binary to each of them.
func TestSyftFindsSameGoModules(t *testing.T) {
	t.Parallel()
	syft := syftBin(t)
	bin := buildHello(t)
	cmd := exec.Command(syft, "scan", "file:"+bin, "-o", "cyclonedx-json", "-q")
	cmd.Env = append(os.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("syft: %v", err)
	}
	var theirs struct {
		Components []struct {
			PURL string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatalf("syft output: %v", err)
	}
	var theirPURLs []string
	for _, c := range theirs.Components {
		if c.PURL != "" {
			theirPURLs = append(theirPURLs, c.PURL)
		}
	}

	runDir := t.TempDir()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(runDir, "outputs", "hello"), data)
	run := &record.Run{ID: "syft", Outputs: []record.Output{{Task: "build", Path: "/out/hello", File: "outputs/hello"}}}
	bom, err := ForRun(context.Background(), run, runDir, nil, fixedOpts)
	if err != nil {
		t.Fatal(err)
	}
	var ourPURLs []string
	for _, c := range componentsByRef(bom) {
		if c.PackageURL != "" {
			ourPURLs = append(ourPURLs, c.PackageURL)
		}
	}
	ours, their := goPURLSet(t, ourPURLs), goPURLSet(t, theirPURLs)
	if len(ours) < 3 {
		t.Fatalf("pinline found only %v", ours)
	}
	if diff := cmp.Diff(their, ours); diff != "" {
		t.Errorf("Go modules differ (-syft +pinline):\n%s", diff)
	}
	deps := dependsOn(bom, "output:outputs/hello")
	for _, want := range []string{"github.com/google/go-cmp@v0.7.0", "example.com/hello@", "stdlib@"} {
		found := false
		for _, d := range deps {
			found = found || strings.Contains(d, "#gomod:"+want)
		}
		if !found {
			t.Errorf("binary does not depend on %s: %v", want, deps)
		}
	}
}
