package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseFull(t *testing.T) {
	t.Parallel()
	s, err := Load("testdata/specs/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.Name != "full" || s.DefaultImage != "go" || s.Concurrency != 4 || s.Pos != (Pos{2, 1}) {
		t.Errorf("header = %+v", s)
	}
	if img := s.Images["go"]; img.Pos != (Pos{5, 7}) || !strings.HasPrefix(img.Ref, "127.0.0.1:5000/") {
		t.Errorf("image = %+v", img)
	}
	var names []string
	for _, tk := range s.Tasks {
		names = append(names, tk.Name)
	}
	if d := cmp.Diff([]string{"deps", "build", "direct"}, names); d != "" {
		t.Errorf("task order: %s", d)
	}
	deps, build, direct := s.Tasks[0], s.Tasks[1], s.Tasks[2]
	if deps.Pos != (Pos{9, 3}) || deps.User != "1000:1000" || deps.Env["GOPROXY"] != "off" || deps.Workdir != "/src" {
		t.Errorf("deps = %+v", deps)
	}
	wantMount := Mount{Source: ".", Target: "/src", ReadOnly: true, Include: []string{"go.mod", "go.sum"},
		Exclude: []string{".git"}, Pos: Pos{17, 9}}
	if d := cmp.Diff([]Mount{wantMount}, deps.Mounts); d != "" {
		t.Errorf("mounts: %s", d)
	}
	if deps.Cache[0].Sharing != "locked" || deps.Cache[1].Pos != (Pos{24, 9}) {
		t.Errorf("cache = %+v", deps.Cache)
	}
	if build.From != "deps" || build.Timeout != 15*time.Minute || build.Sh == "" {
		t.Errorf("build = %+v", build)
	}
	wantSecrets := []Secret{
		{Name: "netrc", Path: "/root/.netrc", From: SecretSource{File: "~/.netrc"}, Pos: Pos{29, 9}},
		{Name: "token", Env: "GH_TOKEN", From: SecretSource{Command: []string{"gh", "auth", "token"}}, Pos: Pos{32, 9}},
	}
	if d := cmp.Diff(wantSecrets, build.Secrets); d != "" {
		t.Errorf("secrets: %s", d)
	}
	if build.Outputs[1].Type != "dir" || build.Outputs[1].Dest != "dist" || build.Outputs[0].Type != "" {
		t.Errorf("outputs = %+v", build.Outputs)
	}
	if d := cmp.Diff([]string{"deps"}, build.Deps()); d != "" {
		t.Errorf("build deps: %s", d)
	}
	if d := cmp.Diff([]string{"build", "deps"}, direct.Deps()); d != "" {
		t.Errorf("direct deps: %s", d)
	}
	if s.ImageRef(&deps) != s.Images["go"].Ref || s.ImageRef(&build) != "" || !strings.HasPrefix(s.ImageRef(&direct), "docker.io/") {
		t.Error("ImageRef resolves wrongly")
	}
}

func TestParseLiteralSecret(t *testing.T) {
	t.Parallel()
	s, err := Load("testdata/specs/unpinned.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sec := s.Tasks[0].Secrets[0]
	if sec.Value != "hunter2" || sec.Name != "token" {
		t.Errorf("secret = %+v", sec)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const head = "version: 1\nname: x\ntasks:\n"
	tests := []struct{ name, in, want string }{
		{"empty", "", "s.yaml:1:1: empty spec"},
		{"comment only", "# nothing\n", "s.yaml:1:1: empty spec"},
		{"not a mapping", "- a\n", "s.yaml:1:1: spec must be a mapping, not a list"},
		{"syntax", "version: 1\ntasks: [\n", "s.yaml:2: invalid YAML: did not find expected node content"},
		{"tab indent", "version: 1\ntasks:\n\tx: 1\n", "s.yaml:3: invalid YAML: found character that cannot start any token"},
		{"two documents", "version: 1\n---\nversion: 1\n", "s.yaml:2:1: more than one YAML document"},
		{"unknown key", "version: 1\nnmae: x\n", `s.yaml:2:1: unknown key "nmae" in spec`},
		{"duplicate key", "version: 1\nversion: 1\n", `s.yaml:2:1: duplicate key "version" in spec`},
		{"missing version", "name: x\ntasks:\n  a: {image: a:1, run: [x]}\n", "s.yaml:1:1: missing version (want version: 1)"},
		{"version 2", "version: 2\n", "s.yaml:1:10: unsupported spec version 2 (want 1)"},
		{"version string", "version: \"1\"\n", `s.yaml:1:10: version must be an integer, not "1"`},
		{"no tasks", "version: 1\nname: x\n", "s.yaml:1:1: spec has no tasks"},
		{"duplicate task", head + "  a: {image: a:1, run: [x]}\n  a: {image: a:1, run: [x]}\n", `s.yaml:5:3: duplicate task name "a"`},
		{"bad task name", head + "  \"a b\": {image: a:1, run: [x]}\n", `s.yaml:4:3: task name "a b" must match`},
		{"unknown task key", head + "  a: {image: a:1, run: [x], cmd: y}\n", `s.yaml:4:29: unknown key "cmd" in task a`},
		{"run and sh", head + "  a: {image: a:1, run: [x], sh: y}\n", "s.yaml:4:3: task a has both run and sh; use one"},
		{"neither run nor sh", head + "  a: {image: a:1}\n", "s.yaml:4:3: task a needs run, sh or call"},
		{"empty run", head + "  a: {image: a:1, run: []}\n", "s.yaml:4:24: task a run must not be empty"},
		{"image and from", head + "  a: {image: a:1, run: [x]}\n  b: {image: a:1, from: a, run: [x]}\n", "s.yaml:5:3: task b has both image and from; use one"},
		{"no image", head + "  a: {run: [x]}\n", "s.yaml:4:3: task a needs image or from (or a defaultImage)"},
		{"unknown image name", head + "  a: {image: golang, run: [x]}\n", `s.yaml:4:3: task a: image "golang" is neither a name in images nor an image reference`},
		{"unknown default image", "version: 1\ndefaultImage: nope\ntasks:\n  a: {run: [x]}\n", `s.yaml:1:1: defaultImage "nope" is neither`},
		{"bad image ref", "version: 1\nimages: {a: \"x y\"}\ntasks:\n  t: {image: a, run: [x]}\n", `s.yaml:2:13: image a: "x y" is not an image reference`},
		{"from unknown", head + "  a: {from: b, run: [x]}\n", `s.yaml:4:3: task a: from names unknown task "b"`},
		{"dependsOn unknown", head + "  a: {image: a:1, run: [x], dependsOn: [c]}\n", `s.yaml:4:3: task a: dependsOn names unknown task "c"`},
		{"cycle", head + "  a: {image: a:1, run: [x], dependsOn: [c]}\n  b: {from: a, run: [x]}\n  c: {from: b, run: [x]}\n",
			"s.yaml:4:3: task dependency cycle: a -> c -> b -> a"},
		{"self cycle", head + "  a: {image: a:1, run: [x], dependsOn: [a]}\n", "s.yaml:4:3: task dependency cycle: a -> a"},
		{"secret env and path", head + "  a: {image: a:1, run: [x], secrets: [{name: s, env: E, path: /p, from: {env: E}}]}\n",
			"s.yaml:4:39: task a: secret s needs exactly one of env and path"},
		{"secret no target", head + "  a: {image: a:1, run: [x], secrets: [{name: s, from: {env: E}}]}\n",
			"s.yaml:4:39: task a: secret s needs exactly one of env and path"},
		{"secret two sources", head + "  a: {image: a:1, run: [x], secrets: [{name: s, env: E, from: {env: E, file: f}}]}\n",
			"s.yaml:4:63: task a: secret s from needs exactly one of env, file and command"},
		{"dest absolute", head + "  a: {image: a:1, run: [x], outputs: [{path: /o, dest: /etc/passwd}]}\n",
			`s.yaml:4:56: task a output dest "/etc/passwd" must be relative to the run directory`},
		{"dest dotdot", head + "  a: {image: a:1, run: [x], outputs: [{path: /o, dest: outputs/../../x}]}\n",
			`s.yaml:4:56: task a output dest "outputs/../../x" must stay inside the run directory (no ".." element)`},
		{"dest NUL", head + "  a: {image: a:1, run: [x], outputs: [{path: /o, dest: \"a\\0b\"}]}\n",
			`s.yaml:4:56: output dest must not contain a NUL byte`},
		{"secret unknown from", head + "  a: {image: a:1, run: [x], secrets: [{name: s, env: E, from: {vault: x}}]}\n",
			`s.yaml:4:64: unknown key "vault" in secret from`},
		{"secret no name", head + "  a: {image: a:1, run: [x], secrets: [{env: E, from: {env: E}}]}\n",
			"s.yaml:4:39: task a: a secret needs a name"},
		{"timeout", head + "  a: {image: a:1, run: [x], timeout: 10}\n", `s.yaml:4:38: task a timeout must be a positive Go duration such as 90s or 10m, not "10"`},
		{"negative timeout", head + "  a: {image: a:1, run: [x], timeout: -1s}\n", `not "-1s"`},
		{"cache sharing", head + "  a: {image: a:1, run: [x], cache: [{name: c, path: /c, sharing: global}]}\n",
			`s.yaml:4:66: cache sharing must be shared, private or locked, not "global"`},
		{"cache no path", head + "  a: {image: a:1, run: [x], cache: [{name: c}]}\n", "s.yaml:4:37: task a: a cache needs name and path"},
		{"call and image", head + "  a: {image: a:1, call: {function: f}}\n", "s.yaml:4:3: task a calls a module function and cannot also have image"},
		{"call without function", head + "  a: {call: {module: m}}\n", "s.yaml:4:13: task a call needs a function"},
		{"call unknown key", head + "  a: {call: {function: f, engine: x}}\n", `unknown key "engine" in task a call`},
		{"output type", head + "  a: {image: a:1, run: [x], outputs: [{path: /o, type: tar}]}\n", `s.yaml:4:56: output type must be file, dir or image, not "tar"`},
		{"output no path", head + "  a: {image: a:1, run: [x], outputs: [{dest: d}]}\n", "s.yaml:4:39: task a: an output needs a path"},
		{"mount no target", head + "  a: {image: a:1, run: [x], mounts: [{source: .}]}\n", "s.yaml:4:38: task a: a mount needs source and target"},
		{"mount readOnly", head + "  a: {image: a:1, run: [x], mounts: [{source: ., target: /s, readOnly: yes}]}\n",
			`s.yaml:4:72: mount readOnly must be true or false, not "yes"`},
		{"env not scalar", head + "  a: {image: a:1, run: [x], env: {A: [1]}}\n", "s.yaml:4:38: task a env A must be a scalar, not a list"},
		{"alias", "version: 1\nx: &a 1\n", `s.yaml:2:1: unknown key "x" in spec`},
		{"alias value", head + "  a: &t {image: a:1, run: [x]}\n  b: *t\n", "s.yaml:5:6: YAML aliases and merge keys are not supported in pinline.yaml"},
		{"merge", head + "  a: {image: a:1, run: [x]}\n  b: {<<: {image: a:1}, run: [x]}\n", "s.yaml:5:6: YAML aliases and merge keys are not supported"},
		{"null name", "version: 1\nname:\n", "s.yaml:2:6: name must not be empty"},
		{"concurrency", "version: 1\nconcurrency: -1\n", "s.yaml:2:14: concurrency must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("s.yaml", []byte(tt.in))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *spec.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	_, err := Parse("big.yaml", make([]byte, MaxSize+1))
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error = %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want not exist", err)
	}
}
