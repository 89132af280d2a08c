package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestPolicyExportCLI(t *testing.T) {
	t.Parallel()
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, format := range []string{"kyverno", "policy-controller"} {
		code, out, e := runCLI(t, "policy", "export", "--format", format, "--key", p("pl.pub"), "--tier", "trusted", "--images", "registry.example/team/*")
		if code != 0 {
			t.Fatalf("%s: %d %s", format, code, e)
		}
		var m map[string]any
		if err := yaml.UnmarshalStrict([]byte(out), &m); err != nil {
			t.Fatalf("%s: %v\n%s", format, err, out)
		}
		pub, _ := os.ReadFile(p("pl.pub"))
		for _, want := range []string{"https://pinline.dev/builders/trusted", strings.Split(string(pub), "\n")[1], "registry.example/team/*"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: %q missing:\n%s", format, want, out)
			}
		}
	}
	for name, tt := range map[string]struct {
		args []string
		want string
	}{
		"no format":   {[]string{"--key", p("pl.pub"), "--tier", "t"}, "--format is required"},
		"bad format":  {[]string{"--format", "gatekeeper", "--key", p("pl.pub"), "--tier", "t"}, "valid formats"},
		"no builder":  {[]string{"--format", "kyverno", "--key", p("pl.pub")}, "--builder-id or --tier"},
		"private key": {[]string{"--format", "kyverno", "--key", p("pl.key"), "--tier", "t"}, "--key"},
		"jmespath":    {[]string{"--format", "kyverno", "--key", p("pl.pub"), "--builder-id", "{{request}}"}, "not allowed"},
	} {
		code, _, e := runCLI(t, append([]string{"policy", "export"}, tt.args...)...)
		if code != 2 || !strings.Contains(e, tt.want) {
			t.Errorf("%s: exit %d, want 2 with %q: %s", name, code, tt.want, e)
		}
	}
}
