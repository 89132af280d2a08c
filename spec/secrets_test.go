package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSecretsFile(t *testing.T) {
	t.Parallel()
	f, err := ParseSecretsFile("s.yaml", []byte(`version: 1
tiers:
  untrusted:
    npm-token: {env: PR_NPM_TOKEN}
  trusted:
    npm-token: {file: /etc/pinline/npm}
    deploy: {command: [/bin/fetch, deploy]}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]OperatorSecret{
		"untrusted": {"npm-token": {Name: "npm-token", From: SecretSource{Env: "PR_NPM_TOKEN"}, Pos: Pos{4, 5}}},
		"trusted": {"npm-token": {Name: "npm-token", From: SecretSource{File: "/etc/pinline/npm"}, Pos: Pos{6, 5}},
			"deploy": {Name: "deploy", From: SecretSource{Command: []string{"/bin/fetch", "deploy"}}, Pos: Pos{7, 5}}},
	}
	if d := cmp.Diff(want, f.Tiers); d != "" {
		t.Fatalf("tiers (-want +got):\n%s", d)
	}
	if _, ok := f.Source("untrusted", "deploy"); ok {
		t.Fatal("a secret of tier trusted is visible to tier untrusted")
	}
	var nilFile *SecretsFile
	if _, ok := nilFile.Source("local", "x"); ok {
		t.Fatal("nil file has a source")
	}
}

func TestParseSecretsFileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"no version", "tiers: {}\n", "s.yaml:1:1: missing version"},
		{"version 2", "version: 2\n", "s.yaml:1:10: unsupported secrets file version 2"},
		{"unknown key", "version: 1\nsecrets: {}\n", `s.yaml:2:1: unknown key "secrets"`},
		{"two sources", "version: 1\ntiers: {pr: {a: {env: A, file: f}}}\n", "s.yaml:2:17: tier pr secret a needs exactly one of env, file and command"},
		{"no source", "version: 1\ntiers: {pr: {a: {}}}\n", "s.yaml:2:17: tier pr secret a needs exactly one"},
		{"empty command", "version: 1\ntiers: {pr: {a: {command: []}}}\n", "s.yaml:2:27: tier pr secret a.command must not be empty"},
		{"dup secret", "version: 1\ntiers:\n  pr:\n    a: {env: A}\n    a: {env: B}\n", `s.yaml:5:5: duplicate secret "a" in tier pr`},
		{"bad tier", "version: 1\ntiers: {\"../x\": {}}\n", `s.yaml:2:9: tier name "../x" must match`},
		{"NUL", "version: 1\ntiers: {pr: {a: {file: \"x\\0y\"}}}\n", "s.yaml:2:24: tier pr secret a.file must not contain a NUL byte"},
		{"alias", "version: 1\ntiers: {pr: &x {a: {env: A}}, tr: *x}\n", "aliases"},
		{"not yaml", "version: [\n", "s.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseSecretsFile("s.yaml", []byte(tc.in))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
}

func FuzzParseSecretsFile(f *testing.F) {
	f.Add([]byte("version: 1\ntiers: {pr: {a: {env: A}, b: {command: [x]}}}\n"))
	f.Add([]byte("version: 1\ntiers: {pr: {a: {file: \"\\0\"}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := ParseSecretsFile("f", data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *spec.Error", err, err)
			}
			return
		}
		for _, secs := range sf.Tiers {
			for _, s := range secs {
				if !s.From.Set() || strings.ContainsRune(s.From.File+s.From.Env+strings.Join(s.From.Command, ""), 0) {
					t.Fatalf("accepted source %+v", s.From)
				}
			}
		}
	})
}

func FuzzCheckDest(f *testing.F) {
	for _, s := range []string{"outputs/a", "../x", "/etc/passwd", "a/../../b", "a\x00b", `a\..\b`, ".", "a/./b", "C:/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dest string) {
		if CheckDest(dest) != "" {
			return
		}
		// An accepted dest joined under a root never leaves it.
		if strings.ContainsRune(dest, 0) || strings.HasPrefix(dest, "/") || strings.Contains(dest, `\`) {
			t.Fatalf("accepted %q", dest)
		}
		for _, e := range strings.Split(dest, "/") {
			if e == ".." {
				t.Fatalf("accepted %q", dest)
			}
		}
	})
}
