package serve

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestOpenAPIMatchesRoutes: docs/openapi.yaml describes exactly the
// routes the server registers, method by method.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	var registered []string
	for _, r := range Routes {
		// {path...} is OpenAPI's {path} (a parameter that may hold slashes).
		registered = append(registered, strings.ReplaceAll(r, "...}", "}"))
	}
	slices.Sort(documented)
	slices.Sort(registered)
	if !slices.Equal(documented, registered) {
		t.Errorf("OpenAPI paths\n  %v\nregistered routes\n  %v", documented, registered)
	}
}

// TestDecodeSubmit: the decoder's table.
func TestDecodeSubmit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body, err string
	}{
		{`{"repository":"https://h/r","commit":"c"}`, ""},
		{`{"repository":"https://h/r","commit":"c","unknown":1}`, "unknown field"},
		{`{"repository":"https://h/r"} {"x":1}`, "data after"},
		{`{"tasks":"build"}`, "cannot unmarshal"},
		{``, "EOF"},
		{`{"repository":"` + strings.Repeat("a", maxRequestBytes) + `"}`, "larger than"},
	} {
		req, err := DecodeSubmit(strings.NewReader(tc.body))
		if tc.err == "" {
			if err != nil || req.Spec != DefaultSpec || req.Tasks == nil {
				t.Errorf("%q: %v %+v", tc.body, err, req)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%.40q: %v, want %q", tc.body, err, tc.err)
		}
	}
}

// FuzzDecodeSubmit: the decoder and the submission checks never panic,
// and whatever they accept is a full commit, a clean relative spec path
// and a URL under the tier's prefix.
func FuzzDecodeSubmit(f *testing.F) {
	for _, s := range []string{
		`{"repository":"https://git.test/org/app.git","commit":"0123456789abcdef0123456789abcdef01234567"}`,
		`{"repository":"https://git.test/org/../x","commit":"main","spec":"../a","tasks":["a"]}`,
		`{"repository":"https://git.test/org/a","commit":"0123456789abcdef0123456789abcdef01234567","spec":"a/./b.yaml"}`,
		`{"spec":"\u0000"}`, `[]`, `null`, `{"tasks":[null]}`,
	} {
		f.Add([]byte(s))
	}
	tier := &Tier{Name: "t", Repositories: []string{"https://git.test/org/"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeSubmit(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if err := checkSubmission(tier, req); err != nil {
			return
		}
		if !fullCommit.MatchString(req.Commit) || !strings.HasPrefix(req.Repository, "https://git.test/org/") ||
			slices.Contains(strings.Split(req.Spec, "/"), "..") || strings.HasPrefix(req.Spec, "/") {
			t.Fatalf("accepted %+v", req)
		}
	})
}
