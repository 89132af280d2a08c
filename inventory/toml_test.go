package inventory

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseModuleTOMLCorpus(t *testing.T) {
	t.Parallel()
	m, err := ParseModuleTOML("go/dagger-module.toml", readCorpus(t, "dagger__go__dagger-module.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "go" || m.EngineVersion != "v1.0.0-beta.15" || m.EngineVerPos.Line != 2 {
		t.Errorf("module = %+v", m)
	}
	if m.SDK == nil || m.SDK.Source != "dang" || !m.SDK.Builtin || m.SDK.Form != "table" || m.SDK.Pos.Line != 5 {
		t.Errorf("sdk = %+v", m.SDK)
	}
	if len(m.Dependencies) != 1 || m.Dependencies[0].Name != "gomod" || !m.Dependencies[0].Local ||
		m.Dependencies[0].Pos.Line != 9 || m.Dependencies[0].Pos.Column != 12 {
		t.Errorf("dependencies = %+v", m.Dependencies)
	}
	if m.SourceDir != "go" {
		t.Errorf("sourceDir = %q", m.SourceDir)
	}
}

func TestParseWorkspaceTOMLCorpus(t *testing.T) {
	t.Parallel()
	m, err := ParseWorkspaceTOML(".dagger/config.toml", readCorpus(t, "kpenfound__demo-react-app__.dagger__config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	type dep struct {
		Name, RefKind string
		Local, Pinned bool
		Line          int
	}
	var got []dep
	for _, d := range m.Dependencies {
		rk := ""
		if d.Remote != nil {
			rk = d.Remote.RefKind
		}
		if d.Kind != "workspace" {
			t.Errorf("kind %q", d.Kind)
		}
		got = append(got, dep{d.Name, rk, d.Local, d.Pinned, d.Pos.Line})
	}
	want := []dep{
		{"eslint", "branch", false, false, 2},
		{"jest", "branch", false, false, 13},
		{"prettier", "branch", false, false, 24},
		{"demo-react-app", "", true, false, 35},
		{"foo", "", true, false, 38},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("workspace modules (-want +got):\n%s", d)
	}
	if len(m.Unknown) != 0 || len(m.Envs) != 1 || m.Envs[0].Name != "foo" || len(m.Envs[0].Modules) != 0 || m.Envs[0].Pos.Line != 40 {
		t.Errorf("unknown %v, envs %+v", m.Unknown, m.Envs)
	}
}

func TestParseTOMLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ws       bool
		in, want string
	}{
		{false, "name = \n", "dagger-module.toml:1:8: invalid TOML"},
		{false, "name = \"a\"\nname = \"b\"\n", "dagger-module.toml:2:1: invalid TOML"},
		{false, "name = 3\n", "dagger-module.toml:1:8: name must be a string, not int64"},
		{false, "runtime = \"go\"\n", "dagger-module.toml:1:11: runtime must be a table"},
		{false, "[runtime]\npin = \"x\"\n", "dagger-module.toml:1:2: runtime needs a source"},
		{false, "[[dependencies]]\nname = \"x\"\n", "dagger-module.toml:1:3: dependency needs a source"},
		{false, "dependencies = \"x\"\n", "dagger-module.toml:1:16: dependencies must be an array of tables"},
		{false, "[[dependencies]]\nsource = [1]\n", "dagger-module.toml:2:1: dependencies.0.source must be a string"},
		{true, "modules = 1\n", "dagger-module.toml:1:11: modules must be a table"},
		{true, "[modules.x]\npin = \"y\"\n", "dagger-module.toml:1:2: workspace needs a source"},
		{true, "[modules]\nx = 1\n", "dagger-module.toml:2:5: modules.x must be a table"},
	}
	for _, tt := range tests {
		parse := ParseModuleTOML
		if tt.ws {
			parse = ParseWorkspaceTOML
		}
		_, err := parse("dagger-module.toml", []byte(tt.in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v is not a *ParseError", tt.in, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q:\n got %s\nwant prefix %s", tt.in, err, tt.want)
		}
	}
}

// TestTOMLValueSpans: the spans pin edits are the exact bytes of the values
// check read; only one-line basic and literal strings are plain.
func TestTOMLValueSpans(t *testing.T) {
	data := []byte("name = \"m\"\n[runtime]\nsource = 'github.com/acme/sdk@v1'\npin = \"\"\"\nabc\"\"\"\n" +
		"[[dependencies]]\nname = \"a\"\n  source   =   \"github.com/acme/a@v1\" # comment\npin = \"v\\\"1\"\n" +
		"[[dependencies]]\nname = \"b\"\nsource = \"github.com/acme/b@v1\"\n")
	m, err := ParseModuleTOML("dagger-module.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	text := func(s *ValueSpan) string { return string(data[s.Off:s.End]) }
	if s := m.SDK.SourceSpan; s == nil || !s.Plain || text(s) != "'github.com/acme/sdk@v1'" {
		t.Errorf("sdk source span %+v", s)
	}
	if s := m.SDK.PinSpan; s == nil || s.Plain || text(s) != "\"\"\"\nabc\"\"\"" {
		t.Errorf("sdk pin span %+v: want the multi-line string, not plain", s)
	}
	a, b := m.Dependencies[0], m.Dependencies[1]
	if s := a.SourceSpan; s == nil || !s.Plain || text(s) != "\"github.com/acme/a@v1\"" {
		t.Errorf("dependency a source span %+v", s)
	}
	if s := a.PinSpan; s == nil || !s.Plain || text(s) != "\"v\\\"1\"" {
		t.Errorf("dependency a pin span %+v", s)
	}
	if b.PinSpan != nil || b.SourceSpan == nil {
		t.Errorf("dependency b spans: source %+v pin %+v", b.SourceSpan, b.PinSpan)
	}
}
