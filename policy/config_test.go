package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig(ConfigPath, []byte(`# policy data
moduleAllowlist: [github.com/acme/, github.com/dagger/]
registryAllowlist:
  - ghcr.io/acme
waivers:
  - rule: PL006
    path: ci/**
    reason: legacy
    expires: 2026-12-31
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		ModuleAllowlist:   []string{"github.com/acme/", "github.com/dagger/"},
		RegistryAllowlist: []string{"ghcr.io/acme"},
		Waivers: []Waiver{{Rule: "PL006", Path: "ci/**", Reason: "legacy", Expires: "2026-12-31",
			Pos: Pos{File: ConfigPath, Line: 6, Column: 5}}},
	}
	if diff := cmp.Diff(want, cfg, cmpopts.IgnoreUnexported(Waiver{})); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	empty, err := ParseConfig(ConfigPath, nil)
	if err != nil || len(empty.Waivers) != 0 {
		t.Errorf("empty file: %+v, %v", empty, err)
	}
}

func TestParseConfigRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		line      int
		msg       string
	}{
		{"syntax", "moduleAllowlist: [a\n", 1, "did not find expected"},
		{"unknown key", "modules: []\n", 1, "field modules not found"},
		{"unknown waiver key", "waivers:\n  - rule: PL001\n    paht: x\n", 3, "paht"},
		{"no rule", "waivers:\n  - path: x\n    reason: r\n    expires: 2026-01-01\n", 2, "rule is required"},
		{"no target", "waivers:\n  - rule: PL001\n    reason: r\n    expires: 2026-01-01\n", 2, "path or match"},
		{"no reason", "waivers:\n  - rule: PL001\n    path: x\n    expires: 2026-01-01\n", 2, "reason is required"},
		{"no expiry", "waivers:\n  - rule: PL001\n    path: x\n    reason: r\n", 2, "expires is required"},
		{"bad expiry", "waivers:\n  - rule: PL001\n    path: x\n    reason: r\n    expires: soon\n", 2, "expires \"soon\""},
		{"wrong type", "moduleAllowlist: {a: b}\n", 1, "cannot unmarshal"},
		{"empty entry", "registryAllowlist: ['']\n", 0, "empty allowlist entry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig(ConfigPath, []byte(tc.doc))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want ParseError", err)
			}
			if pe.File != ConfigPath || pe.Line != tc.line || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("got %q (line %d), want line %d containing %q", err, pe.Line, tc.line, tc.msg)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("moduleAllowlist: [a]\nwaivers:\n  - {rule: PL001, path: x, reason: r, expires: 2026-01-01}\n"))
	f.Add([]byte("waivers: [{rule: PL006, match: m, reason: r, expires: '2026-01-01T00:00:00Z'}]"))
	f.Add([]byte("{}"))
	f.Add([]byte("- a\n- b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(ConfigPath, data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != ConfigPath {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		for _, w := range cfg.Waivers {
			if w.Rule == "" || w.Reason == "" || (w.Path == "" && w.Match == "") || w.until.IsZero() {
				t.Fatalf("invalid waiver accepted: %+v", w)
			}
		}
	})
}
