package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLintSource(t *testing.T) {
	t.Parallel()
	type hit struct {
		Kind, Name string
		Line       int
	}
	for _, tc := range []struct {
		name, origin, src string
		want              []hit
	}{
		{"go literal paths are fine", "go", "func f() { dag.Host().Directory(\"./src\"); dag.Host().File(`a.txt`) }\n", nil},
		{"go dynamic directory", "go", "func f(p string) {\n\tdag.Host().\n\t\tDirectory(p)\n}\n", []hit{{LintHostDirectory, "", 2}}},
		{"go dynamic file", "go", "x := dag.Host().File(\"/etc/\" + name)\n", []hit{{LintHostFile, "", 1}}},
		{"go secret env", "go", "c.WithEnvVariable(\"GH_TOKEN\", os.Getenv(\"GH_TOKEN\"))\n", []hit{{LintSecretEnv, "GH_TOKEN", 1}}},
		{"go plain env is fine", "go", "c.WithEnvVariable(\"GOOS\", os.Getenv(\"GOOS\"))\n", nil},
		{"go secret variable is fine", "go", "c.WithSecretVariable(\"GH_TOKEN\", tok)\n", nil},
		{"go host socket", "go", "c.WithUnixSocket(\"/var/run/docker.sock\", dag.Host().UnixSocket(\"/var/run/docker.sock\"))\n", []hit{{LintHostSocket, "", 1}}},
		{"go host service", "go", "svc := dag.Host().Service([]dagger.PortForward{{Frontend: 5432}})\n", []hit{{LintHostService, "", 1}}},
		{"go comment skipped", "go", "// dag.Host().Directory(p)\n", nil},
		{"python", "python", "d = dag.host().directory(path)\nc.with_env_variable(\"API_KEY\", os.environ[\"API_KEY\"])\n",
			[]hit{{LintHostDirectory, "", 1}, {LintSecretEnv, "API_KEY", 2}}},
		{"python comment skipped", "python", "# dag.host().directory(path)\n", nil},
		{"typescript", "typescript", "const s = dag.host().unixSocket(p)\nc.withEnvVariable(\"DB_PASSWORD\", process.env.DB_PASSWORD)\n",
			[]hit{{LintHostSocket, "", 1}, {LintSecretEnv, "DB_PASSWORD", 2}}},
		{"typescript template literal", "typescript", "dag.host().file(`${dir}/a`)\n", []hit{{LintHostFile, "", 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []hit
			for _, l := range LintSource("m/main", tc.origin, []byte(tc.src)) {
				if l.Pos.File != "m/main" || l.Origin != tc.origin {
					t.Errorf("finding %+v", l)
				}
				got = append(got, hit{l.Kind, l.Name, l.Pos.Line})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}
