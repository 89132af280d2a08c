package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var pw = map[string]string{"COSIGN_PASSWORD": "pinline-test"}

// fixture makes a key pair, an artifact, a predicate and signed envelope and
// bundle with pinline in dir.
func fixture(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	if code, _, e := runCLIEnv(t, pw, "keys", "generate", "--output-key-prefix", p("pl")); code != 0 {
		t.Fatalf("keys generate: %d %s", code, e)
	}
	write(t, p("artifact.bin"), "artifact contents\n")
	write(t, p("other.bin"), "something else\n")
	write(t, p("pred.json"), `{"buildDefinition":{"buildType":"https://pinline.dev/buildtypes/dagger-pipeline/v1",`+
		`"externalParameters":{"source":{"uri":"git+https://example.test/acme/app"},"tier":"trusted"}},`+
		`"runDetails":{"builder":{"id":"https://pinline.dev/builders/trusted"}}}`)
	for _, a := range [][]string{{"-o", p("pl.intoto.json")}, {"--bundle", "-o", p("pl.sigstore.json")}} {
		args := append([]string{"attest", "--predicate", p("pred.json"), "--type", "slsaprovenance1", "--subject", p("artifact.bin"), "--key", p("pl.key")}, a...)
		if code, _, e := runCLIEnv(t, pw, args...); code != 0 {
			t.Fatalf("attest %v: %d %s", a, code, e)
		}
	}
	return dir
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyCLIExitCodes(t *testing.T) {
	t.Parallel()
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	write(t, p("deny.rego"), "package pinline.deploy\ndeny contains \"not on fridays\" if true\n")
	os.MkdirAll(p("deny"), 0o755)
	os.Rename(p("deny.rego"), p("deny/deny.rego"))
	os.MkdirAll(p("broken"), 0o755)
	write(t, p("broken/x.rego"), "package pinline.deploy\n\ndeny contains msg if {\n")
	write(t, p("garbage.json"), "{not json")
	// A deny rule whose builtin errors on the attestation (the tier is not
	// a date) fails verification; it never lets the deploy pass.
	os.MkdirAll(p("baddate"), 0o755)
	write(t, p("baddate/d.rego"), "package pinline.deploy\ndeny contains \"too old\" if time.parse_rfc3339_ns(input.verification.tier) < input.evaluation.timeNs - 1\n")
	os.MkdirAll(p("net"), 0o755)
	write(t, p("net/n.rego"), "package pinline.deploy\n\ndeny contains msg if {\n\tmsg := http.send({\"method\": \"GET\", \"url\": \"http://127.0.0.1:9\"}).body\n}\n")
	base := []string{"verify", "--key", p("pl.pub"), "--artifact", p("artifact.bin")}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		contains string
	}{
		{"envelope", []string{"--attestation", p("pl.intoto.json")}, nil, 0, "Verified"},
		{"bundle", []string{"--attestation", p("pl.sigstore.json"), "--tier", "trusted", "--builder-id", "https://pinline.dev/builders/trusted", "--source-uri", "git+https://example.test/acme/app"}, nil, 0, "Verified"},
		{"directory", []string{"--attestations", dir}, nil, 0, "Verified"},
		{"digest", []string{"--attestation", p("pl.intoto.json"), "--digest", "sha256:" + strings.Repeat("0", 64)}, nil, 1, "not among"},
		{"tier mismatch", []string{"--attestation", p("pl.intoto.json"), "--tier", "untrusted"}, nil, 1, "tier does not match"},
		{"identity without gateway", []string{"--attestation", p("pl.intoto.json"), "--identity", "spiffe:spiffe://example.test/ci"}, nil, 1, "no internalParameters.gateway"},
		{"cache mode without gateway", []string{"--attestation", p("pl.sigstore.json"), "--cache-mode", "strong"}, nil, 1, "gateway cache mode does not match"},
		{"bad cache mode", []string{"--attestation", p("pl.intoto.json"), "--cache-mode", "weak"}, nil, 2, "--cache-mode"},
		{"wrong type", []string{"--attestation", p("pl.intoto.json"), "--type", "cyclonedx"}, nil, 1, "unexpected predicate type"},
		{"policy deny", []string{"--attestation", p("pl.intoto.json"), "--policy", p("deny")}, nil, 1, "not on fridays"},
		{"policy broken", []string{"--attestation", p("pl.intoto.json"), "--policy", p("broken")}, nil, 2, "x.rego:"},
		{"policy builtin error", []string{"--attestation", p("pl.intoto.json"), "--policy", p("baddate")}, nil, 1, "time.parse_rfc3339_ns"},
		{"policy http.send", []string{"--attestation", p("pl.intoto.json"), "--policy", p("net")}, nil, 2, "n.rego:4:"},
		{"garbage attestation", []string{"--attestation", p("garbage.json")}, nil, 2, "garbage.json"},
		{"no artifact", []string{"--attestation", p("pl.intoto.json"), "--artifact", p("missing")}, nil, 2, "missing"},
		{"bad digest", []string{"--attestation", p("pl.intoto.json"), "--digest", "md5:abc"}, nil, 2, "sha256"},
		{"bad format", []string{"--attestation", p("pl.intoto.json"), "--format", "xml"}, nil, 2, "format"},
		{"kms unreachable", []string{"--attestation", p("pl.intoto.json"), "--key", "hashivault://k"}, nil, 3, "hashivault provider"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLIEnv(t, tc.env, append(append([]string{}, base...), tc.args...)...)
			if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s%s", code, tc.code, tc.contains, out, errOut)
			}
			if code != 0 && strings.Contains(out, "\nVerified") {
				t.Errorf("printed Verified on failure:\n%s", out)
			}
		})
	}
}

func TestAttestAndKeysCLIErrors(t *testing.T) {
	t.Parallel()
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	attest := []string{"attest", "--predicate", p("pred.json"), "--subject", p("artifact.bin"), "--key", p("pl.key")}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"wrong password", map[string]string{"COSIGN_PASSWORD": "nope"}, attest, 2},
		{"no password no tty", nil, attest, 2},
		{"unknown type", pw, append(attest, "--type", "spdx"), 2},
		{"tlog upload", pw, append(attest, "--tlog-upload"), 2},
		{"kms unreachable", pw, []string{"attest", "--predicate", p("pred.json"), "--subject", p("artifact.bin"), "--key", "hashivault://k"}, 3},
		{"keys exist", pw, []string{"keys", "generate", "--output-key-prefix", p("pl")}, 2},
		{"empty password", map[string]string{"COSIGN_PASSWORD": ""}, []string{"keys", "generate", "--output-key-prefix", p("new")}, 2},
		{"bad flag", pw, []string{"keys", "generate", "--nope"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if code, out, e := runCLIEnv(t, tc.env, tc.args...); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, e)
			}
		})
	}
}

func TestVerifyJSONOutput(t *testing.T) {
	t.Parallel()
	dir := fixture(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, tc := range []struct {
		tier     string
		code     int
		verified bool
		failed   string
	}{{"trusted", 0, true, ""}, {"untrusted", 1, false, "tier"}} {
		code, out, _ := runCLIEnv(t, nil, "verify", "--key", p("pl.pub"), "--attestation", p("pl.sigstore.json"), "--artifact", p("artifact.bin"), "--tier", tc.tier, "--format", "json")
		var rep struct {
			Verified     bool
			Error        string
			Attestations []struct {
				Format string
				Checks []struct {
					Name string
					OK   bool
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if code != tc.code || rep.Verified != tc.verified || len(rep.Attestations) != 1 || rep.Attestations[0].Format != "bundle" {
			t.Fatalf("tier %s: exit %d, report %+v", tc.tier, code, rep)
		}
		last := rep.Attestations[0].Checks[len(rep.Attestations[0].Checks)-1]
		if tc.failed != "" && (last.Name != tc.failed || last.OK || rep.Error == "") {
			t.Errorf("last check %+v, error %q", last, rep.Error)
		}
	}
}
