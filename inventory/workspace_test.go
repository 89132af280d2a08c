package inventory

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestWorkspaceGolden collects a Dagger 1.0 workspace (dagger.toml with
// env overlays, a dagger-module.toml module) without and with --env, plus
// a user-level config, and compares with testdata/golden/workspace-*.json.
func TestWorkspaceGolden(t *testing.T) {
	t.Parallel()
	user, err := os.ReadFile("testdata/userconfig.toml")
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]Options{
		"workspace":     {},
		"workspace-ci":  {Env: "ci", UserConfig: &UserConfigFile{Name: "~/.config/dagger/config.toml", Data: user}},
		"workspace-dev": {Env: "dev"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts.Root = "testdata/repos/workspace"
			inv, err := Collect(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata/golden", name+".json"), "inventory", inv)
		})
	}
}

func TestWorkspaceEnvErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ env, toml, want string }{
		{"prod", "[modules.a]\nsource = \"./a\"\n[env.ci.modules.a]\npin = \"x\"\n",
			`dagger.toml: workspace env "prod" is not defined (defined envs: ci)`},
		{"ci", "[modules.a]\nsource = \"./a\"\n[env.ci.modules.b]\npin = \"x\"\n",
			`dagger.toml:4:7: workspace env "ci" references unknown module "b"`},
		{"ci", "[modules.a]\nsource = \"./a\"\n[env.ci]\nmodules = 3\n",
			`dagger.toml:4:11: env.ci.modules must be a table`},
		{"", "[modules.a]\n", `dagger.toml:1:2: workspace needs a source`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "dagger.toml"), []byte(tt.toml), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Collect(context.Background(), Options{Root: dir, Env: tt.env})
		if err == nil || err.Error() != tt.want {
			t.Errorf("env %q on %q:\n got %v\nwant %s", tt.env, tt.toml, err, tt.want)
		}
	}
	if _, err := Collect(context.Background(), Options{Root: t.TempDir(), Env: "ci"}); err == nil {
		t.Error("--env without a workspace accepted")
	}
}
