package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

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
		{"no target", "waivers:\n  - rule: PL001\n    reason: r\n    expires: 2026-01-01\n", 2, "path or ref"},
		{"message match", "waivers:\n  - rule: PL001\n    match: acme\n    reason: r\n    expires: 2026-01-01\n", 2, "match (a message substring) is not supported"},
		{"absolute path", "waivers:\n  - {rule: PL001, path: /etc/x, reason: r, expires: 2026-01-01}\n", 2, "relative path"},
		{"dotdot path", "waivers:\n  - {rule: PL001, path: a/../b, reason: r, expires: 2026-01-01}\n", 2, `".." segments`},
		{"partial doublestar", "waivers:\n  - {rule: PL001, path: ci/legacy**, reason: r, expires: 2026-01-01}\n", 2, "whole segment"},
		{"bad glob", "waivers:\n  - {rule: PL001, path: \"a/[x\", reason: r, expires: 2026-01-01}\n", 2, "syntax error"},
		{"no reason", "waivers:\n  - rule: PL001\n    path: x\n    expires: 2026-01-01\n", 2, "reason is required"},
		{"no expiry", "waivers:\n  - rule: PL001\n    path: x\n    reason: r\n", 2, "expires is required"},
		{"bad expiry", "waivers:\n  - rule: PL001\n    path: x\n    reason: r\n    expires: soon\n", 2, "expires \"soon\""},
		{"wrong type", "moduleAllowlist: {a: b}\n", 1, "cannot unmarshal"},
		{"empty entry", "registryAllowlist: ['']\n", 1, "empty allowlist entry"},
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
	f.Add([]byte("waivers: [{rule: PL006, ref: m, reason: r, expires: '2026-01-01T00:00:00Z'}]"))
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
			if w.Rule == "" || w.Reason == "" || (w.Path == "" && w.Ref == "") || w.Match != "" || w.until.IsZero() {
				t.Fatalf("invalid waiver accepted: %+v", w)
			}
		}
	})
}

func TestWaiverExpiryCap(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig("op.yaml", []byte("waivers:\n  - {rule: PL006, path: ci/**, reason: r, expires: 2026-03-31}\n  - {rule: PL001, path: \"**\", reason: r, expires: 9999-12-31}\n"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var pe *ParseError
	err = cfg.CheckExpiry(at, 0)
	if !errors.As(err, &pe) || pe.File != "op.yaml" || pe.Line != 3 || pe.Column != 5 || !strings.Contains(pe.Msg, "more than 90d after") {
		t.Fatalf("9999-12-31 waiver: %v, want op.yaml:3:5 over the 90d cap", err)
	}
	cfg.Waivers = cfg.Waivers[:1]
	if err := cfg.CheckExpiry(at, 0); err != nil {
		t.Errorf("waiver within 90 days: %v", err)
	}
	if err := cfg.CheckExpiry(at, 30*24*time.Hour); err == nil {
		t.Error("waiver beyond a 30d cap accepted")
	}
	for in, want := range map[string]time.Duration{"90d": DefaultWaiverMaxAge, "1d": 24 * time.Hour, "36h": 36 * time.Hour} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0d", "-1d", "x", "-3h"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) accepted", in)
		}
	}
}
