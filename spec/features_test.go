package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pinline/pinline/internal/errclass"
)

func TestParseServicesMatrixPush(t *testing.T) {
	t.Parallel()
	s, err := Load("testdata/specs/services.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"CI": "true", "LEVEL": "top"}, s.Env); d != "" {
		t.Errorf("env: %s", d)
	}
	web, db := s.Services["web"], s.Services["db"]
	if web.Image != "bb" || web.Pos != (Pos{10, 3}) || web.Env["MODE"] != "test" || !cmp.Equal(web.Ports, []int{8080}) {
		t.Errorf("web = %+v", web)
	}
	if !cmp.Equal(ServiceCommand(db), []string{"sh", "-c", "nc -lk -p 5432 -e cat"}) || s.ServiceImageRef(web) != s.Images["bb"].Ref {
		t.Errorf("db = %+v", db)
	}
	test, release := s.Tasks[0], s.Tasks[1]
	if d := cmp.Diff([]Binding{{"web", Pos{22, 16}}, {"db", Pos{22, 21}}}, test.Services); d != "" {
		t.Errorf("bindings: %s", d)
	}
	var names []string
	for _, in := range test.Instances() {
		names = append(names, in.Name)
	}
	want := []string{"test[go=1.25,os=linux]", "test[go=1.25,os=freebsd]", "test[go=1.26,os=linux]", "test[go=1.26,os=freebsd]"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("instances: %s", d)
	}
	env := s.EnvFor(&test, test.Instances()[3])
	if d := cmp.Diff(map[string]string{"CI": "true", "LEVEL": "task", "go": "1.26", "os": "freebsd"}, env); d != "" {
		t.Errorf("instance env (task env wins over the spec's): %s", d)
	}
	if got := release.Instances(); len(got) != 1 || got[0].Name != "release" || got[0].Values != nil {
		t.Errorf("plain task instances = %+v", got)
	}
	if p := release.Push; p == nil || p.Ref() != "refs/tags/v1.2.3" || p.Remote != "https://git.example.test/org/app.git" || p.Pos != (Pos{34, 7}) {
		t.Errorf("push = %+v", release.Push)
	}
}

// TestParseHostileSpecFeatures: env, services, matrix and push errors are
// one clear file:line:col message each, bad input (exit 2), never a panic.
func TestParseHostileSpecFeatures(t *testing.T) {
	t.Parallel()
	const head = "version: 1\nimages: {bb: \"a/b@sha256:1\"}\ndefaultImage: bb\n"
	axis := func(n int) string {
		v := make([]string, n)
		for i := range v {
			v[i] = "v" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + strings.Repeat("0", i/26)
		}
		return "[" + strings.Join(v, ", ") + "]"
	}
	tests := []struct{ name, in, want string }{
		{"unknown service", head + "tasks:\n  t: {run: [x], services: [db]}\n",
			`s.yaml:5:28: task t: services names unknown service "db" (services: )`},
		{"unknown service with others", head + "services:\n  web: {image: bb}\ntasks:\n  t: {run: [x], services: [web, db]}\n",
			`s.yaml:7:33: task t: services names unknown service "db" (services: web)`},
		{"duplicate service", head + "services:\n  web: {image: bb}\n  web: {image: bb}\ntasks:\n  t: {run: [x]}\n",
			`s.yaml:6:3: duplicate service name "web"`},
		{"service name case", head + "services:\n  Web: {image: bb}\ntasks:\n  t: {run: [x]}\n",
			`s.yaml:5:3: service name "Web" must be a lower-case host name`},
		{"service name reserved", head + "services:\n  pinline-remote: {image: bb}\ntasks:\n  t: {run: [x]}\n",
			`s.yaml:5:3: service name "pinline-remote" must be a lower-case host name`},
		{"binding twice", head + "services:\n  web: {image: bb}\ntasks:\n  t: {run: [x], services: [web, web]}\n",
			`s.yaml:7:33: task t services binds service "web" twice`},
		{"service without image", head + "services:\n  web: {ports: [80]}\ntasks:\n  t: {run: [x]}\n",
			`s.yaml:5:3: service web needs an image`},
		{"service unknown image", head + "services:\n  web: {image: nginx}\ntasks:\n  t: {run: [x]}\n",
			`s.yaml:5:3: service web: image "nginx" is neither a name in images nor an image reference`},
		{"service port range", head + "services:\n  web: {image: bb, ports: [70000]}\ntasks:\n  t: {run: [x]}\n",
			`s.yaml:5:28: service web ports: 70000 is not a port (1-65535)`},
		{"service run and sh", head + "services:\n  web: {image: bb, run: [a], sh: b}\ntasks:\n  t: {run: [x]}\n",
			`s.yaml:5:3: service web has both run and sh; use one`},
		{"matrix explosion", head + "tasks:\n  t:\n    run: [x]\n    matrix: {a: " + axis(9) + ", b: " + axis(9) + "}\n",
			`s.yaml:7:13: task t matrix has 81 combinations (at most 64 per task)`},
		{"matrix explosion saturates", head + "tasks:\n  t:\n    run: [x]\n    matrix: {a: " + axis(60) + ", b: " + axis(60) + ", c: " + axis(60) + "}\n",
			`s.yaml:7:13: task t matrix has more than 256 combinations (at most 64 per task)`},
		{"spec-wide instance bound", head + "tasks:\n" + strings.Repeat("", 0) + manyMatrixTasks(5, 64),
			`the spec expands to more than 256 task instances (matrix)`},
		{"matrix value path", head + "tasks:\n  t: {run: [x], matrix: {os: [../etc]}}\n",
			`s.yaml:5:31: task t matrix os value "../etc" must match [A-Za-z0-9][A-Za-z0-9._+-]*`},
		{"matrix value separator", head + "tasks:\n  t: {run: [x], matrix: {os: [\"a,b=c\"]}}\n",
			`task t matrix os value "a,b=c" must match`},
		{"matrix variable name", head + "tasks:\n  t: {run: [x], matrix: {\"a-b\": [x]}}\n",
			`s.yaml:5:26: task t matrix variable "a-b" must match [A-Za-z_][A-Za-z0-9_]*`},
		{"matrix empty values", head + "tasks:\n  t: {run: [x], matrix: {a: []}}\n",
			`s.yaml:5:29: task t matrix a needs at least one value`},
		{"matrix duplicate value", head + "tasks:\n  t: {run: [x], matrix: {a: [x, x]}}\n",
			`s.yaml:5:33: duplicate value "x" in task t matrix a`},
		{"matrix and env", head + "tasks:\n  t: {run: [x], env: {a: 1}, matrix: {a: [x]}}\n",
			`s.yaml:5:39: task t: matrix variable a is also set in env`},
		{"from matrix task", head + "tasks:\n  m: {run: [x], matrix: {a: [x, y]}}\n  t: {from: m, run: [x]}\n",
			`s.yaml:6:3: task t: from names matrix task "m"`},
		{"matrix on call", head + "tasks:\n  t: {call: {function: f}, matrix: {a: [x]}}\n",
			`task t calls a module function and cannot also have matrix`},
		{"push remote credentials", head + "tasks:\n  t: {run: [x], workdir: /s, push: {remote: \"https://u:p@h/r.git\", branch: b}}\n",
			`s.yaml:5:45: task t push remote "https://u:p@h/r.git" must not carry credentials`},
		{"push remote scheme", head + "tasks:\n  t: {run: [x], workdir: /s, push: {remote: \"file:///srv/r.git\", branch: b}}\n",
			`must be an http:// or https:// URL`},
		{"push remote dotdot", head + "tasks:\n  t: {run: [x], workdir: /s, push: {remote: \"https://h/org/../other/r.git\", branch: b}}\n",
			`must have a clean path`},
		{"push remote percent", head + "tasks:\n  t: {run: [x], workdir: /s, push: {remote: \"https://h/org/%2e%2e/r.git\", branch: b}}\n",
			`must not contain %`},
		{"push branch and tag", head + "tasks:\n  t: {run: [x], workdir: /s, push: {remote: \"https://h/r.git\", branch: b, tag: t}}\n",
			`s.yaml:5:36: task t push needs exactly one of branch and tag`},
		{"push bad ref", head + "tasks:\n  t: {run: [x], workdir: /s, push: {remote: \"https://h/r.git\", branch: \"-f\"}}\n",
			`task t push branch "-f" is not a valid git ref name`},
		{"push ref dotdot", head + "tasks:\n  t: {run: [x], workdir: /s, push: {remote: \"https://h/r.git\", tag: \"a..b\"}}\n",
			`task t push tag "a..b" is not a valid git ref name`},
		{"push without dir", head + "tasks:\n  t: {run: [x], push: {remote: \"https://h/r.git\", branch: b}}\n",
			`s.yaml:5:23: task t push needs dir (or a workdir)`},
		{"push from matrix", head + "tasks:\n  t: {run: [x], workdir: /s, matrix: {a: [x]}, push: {remote: \"https://h/r.git\", branch: b}}\n",
			`task t: a matrix task cannot push`},
		{"env not a mapping", head + "env: [a]\ntasks:\n  t: {run: [x]}\n", `s.yaml:4:6: env must be a mapping, not a list`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("s.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.in)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tc.want)
			}
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, errclass.ErrBadInput) || !strings.HasPrefix(err.Error(), "s.yaml:") {
				t.Errorf("error %v is not a positioned bad-input *Error", err)
			}
		})
	}
}

func manyMatrixTasks(tasks, each int) string {
	var b strings.Builder
	vals := make([]string, each)
	for i := range vals {
		vals[i] = "v" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
	}
	for i := range tasks {
		b.WriteString("  t" + string(rune('0'+i)) + ": {run: [x], matrix: {a: [" + strings.Join(vals, ", ") + "]}}\n")
	}
	return b.String()
}
