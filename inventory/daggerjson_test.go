package inventory

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDaggerJSONVariants(t *testing.T) {
	t.Parallel()
	in := `{
  "name": "v",
  "engineVersion": "latest",
  "sdk": {"source": "github.com/vito/dang/dagger-sdk@` + sha40 + `"},
  "sdkRuntime": "ghcr.io/x/runtime:v1@sha256:` + hex64 + `",
  "dependencies": [
    "github.com/o/r/legacy@` + sha40 + `",
    {"name": "obj", "source": "github.com/o/r/obj@v1.2.3", "pin": "` + sha40 + `"},
    {"name": "loc", "source": "../loc", "pin": ""},
    {"name": "child", "source": "deps/golang"}
  ],
  "toolchains": [{"name": "tc", "source": "github.com/o/r/tc@main", "pin": "` + sha40 + `", "ignoreChecks": ["x"]}],
  "blueprint": {"name": "bp", "source": "github.com/o/bp"},
  "include": ["!node_modules"],
  "exclude": ["x"],
  "gc": true,
  "views": [{"name": "v", "patterns": ["*"]}],
  "source": "ci"
}`
	m, imgs, err := ParseDaggerJSON("mod/dagger.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	type dep struct {
		Kind, Name, RefKind string
		Legacy, Local, Pin  bool
		Line                int
	}
	var got []dep
	for _, d := range m.Dependencies {
		rk := ""
		if d.Remote != nil {
			rk = d.Remote.RefKind
		}
		got = append(got, dep{d.Kind, d.Name, rk, d.Legacy, d.Local, d.Pinned, d.Pos.Line})
	}
	want := []dep{
		{"dependency", "legacy", "commit", true, false, true, 7},
		{"dependency", "obj", "tag", false, false, true, 8},
		{"dependency", "loc", "", false, true, false, 9},
		{"dependency", "child", "", false, true, false, 10},
		{"toolchain", "tc", "branch", false, false, true, 12},
		{"blueprint", "bp", "none", false, false, false, 13},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("dependencies (-want +got):\n%s", d)
	}
	if m.SDK == nil || m.SDK.Remote == nil || !m.SDK.Pinned || m.SDK.Form != "object" || m.SDK.Pos.Line != 4 {
		t.Errorf("sdk = %+v", m.SDK)
	}
	if m.EngineVersion != "latest" || m.EngineVerPos.Line != 3 || m.EngineVerPos.Column != 20 {
		t.Errorf("engineVersion %q at %+v", m.EngineVersion, m.EngineVerPos)
	}
	if m.SourceDir != "mod/ci" || m.Dir != "mod" {
		t.Errorf("dir %q sourceDir %q", m.Dir, m.SourceDir)
	}
	if d := cmp.Diff([]string{"gc"}, m.Unknown); d != "" {
		t.Errorf("unknown keys: %s", d)
	}
	if len(imgs) != 1 || imgs[0].Via != "sdkRuntime" || imgs[0].Digest != "sha256:"+hex64 || imgs[0].Pos.Line != 5 {
		t.Errorf("sdkRuntime image = %+v", imgs)
	}
}

func TestParseDaggerJSONStringSDK(t *testing.T) {
	t.Parallel()
	m, _, err := ParseDaggerJSON("dagger.json", []byte(`{"name":"x","sdk":"python"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !m.SDK.Builtin || m.SDK.Form != "string" || m.SourceDir != "." || m.EngineVersion != "" {
		t.Errorf("module = %+v sdk = %+v", m, m.SDK)
	}
	m, _, err = ParseDaggerJSON("dagger.json", []byte(`{"name":"ws","root-for":[{"source":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.SDK != nil || m.SourceDir != "" {
		t.Errorf("a module without sdk has no source dir: %+v", m)
	}
}

func TestParseDaggerJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{``, "dagger.json:1:1: invalid JSON: unexpected end of input"},
		{`{`, "dagger.json:1:2: invalid JSON: unexpected end of input"},
		{`[]`, "dagger.json:1:1: dagger.json must be a JSON object, not array"},
		{`{"name": 1}`, "dagger.json:1:10: name must be a string, not number"},
		{"{\n  \"sdk\": true}", "dagger.json:2:10: sdk must be a string or an object, not boolean"},
		{`{"sdk": {}}`, "dagger.json:1:9: sdk object needs a source"},
		{`{"dependencies": {}}`, "dagger.json:1:18: dependencies must be an array, not object"},
		{`{"dependencies": [1]}`, "dagger.json:1:19: dependency entry must be a string or an object, not number"},
		{`{"dependencies": [{"name": "x"}]}`, "dagger.json:1:19: dependency entry needs a source"},
		{`{"toolchains": [{"source": 3}]}`, "dagger.json:1:28: toolchain.source must be a string, not number"},
		{`{"include": "x"}`, "dagger.json:1:13: include must be an array of strings, not string"},
		{`{"sdkRuntime": "Bad Image"}`, `dagger.json:1:16: sdkRuntime: image reference contains whitespace or non-ASCII characters`},
		{`{"name": "x",}`, "dagger.json:1:14: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{`{"name": "x"} {}`, "dagger.json:1:15: unexpected data after the top-level value"},
		{"{\n\t\"name\": \"x\"\n\t\"sdk\": \"go\"}", "dagger.json:3:2: invalid JSON: invalid character '\"' after object key:value pair"},
	}
	tests = append(tests, struct{ in, want string }{strings.Repeat("[", 100000),
		"dagger.json:1:513: JSON nested deeper than 512 levels"})
	for _, tt := range tests {
		_, _, err := ParseDaggerJSON("dagger.json", []byte(tt.in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v is not a *ParseError", tt.in, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestParseDaggerJSONCorpusPositions(t *testing.T) {
	t.Parallel()
	// frantjc/barge: toolchains and dependencies with @main + pin.
	data := readCorpus(t, "frantjc__barge__dagger.json")
	m, _, err := ParseDaggerJSON("dagger.json", data)
	if err != nil {
		t.Fatal(err)
	}
	var tc, deps int
	for _, d := range m.Dependencies {
		if d.Kind == "toolchain" {
			tc++
		} else {
			deps++
		}
		if !d.Pinned || d.Remote.RefKind == "commit" {
			t.Errorf("%s: want pinned with a non-commit ref", d.Name)
		}
		line := strings.Split(string(data), "\n")[d.Pos.Line-1]
		if !strings.Contains(line, `"source": "`+d.Source+`"`) {
			t.Errorf("%s: position %d:%d does not point at its source line %q", d.Name, d.Pos.Line, d.Pos.Column, line)
		}
	}
	if tc != 3 || deps != 8 {
		t.Errorf("toolchains=%d deps=%d, want 3 and 8", tc, deps)
	}
}
