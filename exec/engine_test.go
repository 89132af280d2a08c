package exec

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/pipeline"
)

// The tests below run on the real engine hack/setup.d/30-engine.sh starts,
// with the presets hack/setup.d/45-presets.sh builds (CI: missing fails).

func engineOptions(t *testing.T) Options {
	t.Helper()
	env := testenv.RequireAll(t, "hack/setup.d/30-engine.sh, 45-presets.sh", "PINLINE_ENGINE_SOCK", "PINLINE_DAGGER_CLI", "PINLINE_EXEC_PRESETS")
	lock, err := ReadLock(env["PINLINE_EXEC_PRESETS"])
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Presets: lock.Presets,
		Engine:  pipeline.Engine{Address: "unix://" + env["PINLINE_ENGINE_SOCK"], CLI: env["PINLINE_DAGGER_CLI"], Env: os.Environ(), ConnectTimeout: 60 * time.Second},
		// A fresh exec per test run: results must come from running, not
		// from an earlier run's cache.
		NoCache: true,
	}
	if ca := os.Getenv("PINLINE_EXEC_CA_BUNDLE"); ca != "" {
		b, err := os.ReadFile(ca)
		if err != nil {
			t.Fatal(err)
		}
		o.CABundle = string(b)
	}
	return o
}

// snippets per preset: hello (prints "hello"), fail (stderr "oops",
// exit 3), sleep (runs 60 s), pkg (a detected package; prints want).
type presetCase struct {
	hello, fail, sleep, compileErr string
	pkg, pkgWant                   string
}

var presetCases = map[string]presetCase{
	"bash": {hello: "echo hello", fail: "echo oops >&2; exit 3", sleep: "sleep 60"},
	"python": {hello: `print("hello")`, fail: "import sys\nprint('oops', file=sys.stderr)\nsys.exit(3)", sleep: "import time\ntime.sleep(60)",
		pkg: "import yaml\nprint(yaml.safe_dump({'a': 1}).strip())", pkgWant: "a: 1"},
	"ruby": {hello: `puts "hello"`, fail: "$stderr.puts 'oops'\nexit 3", sleep: "sleep 60",
		pkg: "require 'rack'\nputs Rack.const_defined?(:Request)", pkgWant: "true"},
	"perl": {hello: `print "hello\n";`, fail: "print STDERR \"oops\\n\"; exit 3;", sleep: "sleep 60;",
		pkg: "use JSON::XS;\nprint encode_json([1]), \"\\n\";", pkgWant: "[1]"},
	"php": {hello: "<?php echo \"hello\\n\";", fail: "<?php fwrite(STDERR, \"oops\\n\"); exit(3);", sleep: "<?php sleep(60);"},
	"javascript": {hello: `console.log("hello")`, fail: "console.error('oops'); process.exit(3)", sleep: "setTimeout(() => {}, 60000)",
		pkg: "const lp = require('left-pad');\nconsole.log(lp('x', 3, '-'))", pkgWant: "--x"},
	"typescript": {hello: "const m: string = 'hello';\nconsole.log(m)", fail: "console.error('oops'); process.exit(3)", sleep: "setTimeout(() => {}, 60000)",
		compileErr: "const n: number = 'not a number';\nconsole.log(n)",
		pkg:        "const lp = require('left-pad');\nconsole.log(lp('x', 3, '-'))", pkgWant: "--x"},
	"go": {hello: "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
		fail:       "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { fmt.Fprintln(os.Stderr, \"oops\"); os.Exit(3) }\n",
		sleep:      "package main\n\nimport \"time\"\n\nfunc main() { time.Sleep(time.Minute) }\n",
		compileErr: "package main\n\nfunc main() { undefined() }\n",
		pkg:        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/google/uuid\"\n)\n\nfunc main() { fmt.Println(len(uuid.NewString())) }\n", pkgWant: "36"},
	"rust": {hello: "fn main() { println!(\"hello\"); }", fail: "fn main() { eprintln!(\"oops\"); std::process::exit(3); }",
		sleep: "fn main() { std::thread::sleep(std::time::Duration::from_secs(60)); }", compileErr: "fn main() { let x: i32 = \"s\"; }"},
	"java": {hello: "public class Main { public static void main(String[] a) { System.out.println(\"hello\"); } }",
		fail:       "public class Main { public static void main(String[] a) { System.err.println(\"oops\"); System.exit(3); } }",
		sleep:      "public class Main { public static void main(String[] a) throws Exception { Thread.sleep(60000); } }",
		compileErr: "public class Main { public static void main(String[] a) { int x = \"s\"; } }"},
}

// TestPresetsEngine runs, for every preset, hello, a failing snippet, a
// timeout and (where the preset detects imports) a detected package, as
// one batch over one engine session.
func TestPresetsEngine(t *testing.T) {
	t.Parallel()
	o := engineOptions(t)
	type want struct {
		preset, kind string
	}
	var jobs []Job
	var wants []want
	add := func(preset, kind, code string, timeout time.Duration) {
		if code == "" {
			return
		}
		jobs = append(jobs, Job{Lang: preset, Code: code, Timeout: timeout})
		wants = append(wants, want{preset, kind})
	}
	for _, name := range []string{"bash", "python", "ruby", "perl", "php", "javascript", "typescript", "go", "rust", "java"} {
		c := presetCases[name]
		if _, ok := o.Presets[name]; !ok {
			t.Errorf("preset %s is not in the lock file", name)
			continue
		}
		add(name, "hello", c.hello, 0)
		add(name, "fail", c.fail, 0)
		add(name, "sleep", c.sleep, 3*time.Second)
		add(name, "compileErr", c.compileErr, 0)
		add(name, "pkg", c.pkg, 0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	rs, err := Batch(ctx, o, jobs, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		w := wants[i]
		c := presetCases[w.preset]
		desc := fmt.Sprintf("%s/%s: %+v", w.preset, w.kind, r)
		if r.Preset != w.preset || r.Image != o.Presets[w.preset].Image || !strings.Contains(r.Image, "@sha256:") {
			t.Errorf("%s: preset or image wrong", desc)
		}
		switch w.kind {
		case "hello":
			if !r.Success || r.ExitCode != 0 || strings.TrimSpace(r.Output) != "hello" || r.TimedOut || r.Truncated || r.Cached {
				t.Errorf("%s: want success printing hello", desc)
			}
		case "fail":
			if r.Success || r.ExitCode != 3 || strings.TrimSpace(r.Error) != "oops" || r.CompileError {
				t.Errorf("%s: want exit 3 with stderr oops", desc)
			}
		case "sleep":
			if r.Success || r.ExitCode != 124 || !r.TimedOut || r.CompileError {
				t.Errorf("%s: want timedOut, exit 124", desc)
			}
		case "compileErr":
			if r.Success || !r.CompileError || r.ExitCode == 0 || r.Error == "" {
				t.Errorf("%s: want a compile error", desc)
			}
		case "pkg":
			if !r.Success || strings.TrimSpace(r.Output) != c.pkgWant {
				t.Errorf("%s: want success printing %q", desc, c.pkgWant)
			}
		}
	}
}

// TestExecCachedAndTruncated: the same snippet twice in one session is
// served from the engine's cache the second time (cached: true, seen in
// the engine's telemetry); output beyond MaxOutput is cut.
func TestExecCachedAndTruncated(t *testing.T) {
	t.Parallel()
	o := engineOptions(t)
	o.NoCache = false
	o.MaxOutput = 1000
	code := fmt.Sprintf("echo %s; head -c 50000000 /dev/zero | tr '\\0' x; echo; echo err >&2", nonce(t))
	ctx := context.Background()
	first, err := Run(ctx, Config{Options: o, Lang: "bash", Code: code})
	if err != nil {
		t.Fatal(err)
	}
	if !first.Success || !first.Truncated || len(first.Output) != 1000 || first.Cached {
		t.Errorf("first run: want success, truncated to 1000 bytes, not cached: %+v", summary(first))
	}
	second, err := Run(ctx, Config{Options: o, Lang: "bash", Code: code})
	if err != nil {
		t.Fatal(err)
	}
	if !second.Cached || second.Output != first.Output {
		t.Errorf("second run: want cached with the same output: %+v", summary(second))
	}
}

func summary(r Result) Result {
	if len(r.Output) > 80 {
		r.Output = r.Output[:80] + fmt.Sprintf("...(%d bytes)", len(r.Output))
	}
	return r
}

// TestExecHostile: a snippet cannot read host files, write to the host or
// the image, see the caller's environment, or outlive its timeout with
// many processes.
func TestExecHostile(t *testing.T) {
	t.Parallel()
	o := engineOptions(t)
	secret := nonce(t)
	// In the environment handed to the engine session's CLI child, under a
	// plain name and a PINLINE_ one.
	o.Engine.Env = append(o.Engine.Env, "PINLINE_TEST_SECRET_VALUE="+secret, "SOME_TOKEN="+secret)
	hostDir := t.TempDir()
	hostFile := filepath.Join(hostDir, "host-secret")
	if err := os.WriteFile(hostFile, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(os.TempDir(), "pinline-exec-escape-"+secret)
	probe := strings.Join([]string{
		"id -u; id -g",
		"cat " + hostFile + " 2>&1 || echo no-host-file",
		"grep -r " + secret + " /home /tmp /etc /root /var 2>/dev/null || echo no-secret-in-files",
		"env | grep -c " + secret + " || true",
		"touch /etc/pinline-escape 2>&1 || echo no-write-etc",
		"touch /usr/bin/pinline-escape 2>&1 || echo no-write-usr",
		"echo x > " + marker + " && echo wrote-container-tmp",
		"ls /var/run/docker.sock /run/buildkit 2>&1 | head -2",
	}, "\n")
	jobs := []Job{
		{Lang: "bash", Code: probe},
		// 200 background processes: the timeout ends them all.
		{Lang: "bash", Code: "for i in $(seq 1 200); do sleep 317 & done; wait", Timeout: 3 * time.Second},
		{Lang: "python", Code: "import os\nwhile True:\n    os.write(1, b'y' * 65536)\n", Timeout: 3 * time.Second},
	}
	ctx, hung := testenv.HangGuard(t, "hostile batch")
	rs, err := Batch(ctx, o, jobs, 3)
	hung()
	if err != nil {
		t.Fatal(err)
	}
	out := rs[0].Output
	for _, want := range []string{"1000\n1000\n", "no-host-file", "no-secret-in-files", "\n0\n", "no-write-etc", "no-write-usr", "wrote-container-tmp"} {
		if !strings.Contains(out, want) {
			t.Errorf("probe output lacks %q:\n%s\nstderr: %s", want, out, rs[0].Error)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		os.Remove(marker)
		t.Errorf("a snippet's write reached the host's %s", marker)
	}
	if r := rs[1]; !r.TimedOut || r.ExitCode != 124 {
		t.Errorf("process storm: want timed out: %+v", summary(r))
	}
	// Container processes are host processes: none of the storm is left
	// once the engine has torn the timed-out container down (it does that
	// after the exec returned, so give it a bounded moment). The storm
	// sleeps 317 s: pipeline's stall test runs `sleep 300` on the host.
	var left []byte
	for range 60 {
		out, err := osexec.Command("pgrep", "-f", "^sleep 317$").Output()
		if err != nil {
			left = nil
			break
		}
		left = out
		time.Sleep(500 * time.Millisecond)
	}
	if left != nil {
		t.Errorf("processes of the storm outlived it by 30 s: %s", left)
	}
	if r := rs[2]; !r.TimedOut || !r.Truncated || len(r.Output) != DefaultMaxOutput {
		t.Errorf("endless output: want timed out and truncated at %d: %+v", DefaultMaxOutput, summary(r))
	}
}

// TestExecInvalid: an unknown preset and an unmappable import are clear
// errors that name them; a missing Debian package names the import.
func TestExecInvalid(t *testing.T) {
	t.Parallel()
	o := engineOptions(t)
	if _, err := Run(context.Background(), Config{Options: o, Lang: "cobol", Code: "x"}); err == nil || !strings.Contains(err.Error(), `unknown preset "cobol"`) {
		t.Errorf("unknown preset: %v", err)
	}
	rs, err := Batch(context.Background(), o, []Job{
		{Lang: "python", Code: "import pinline_no_such_module_" + nonce(t) + "\n"},
		{Lang: "go", Code: "package main\nimport _ \"bad..path/x\"\nfunc main() {}\n"},
	}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r := rs[0]; r.Success || !strings.Contains(r.Error, `import "pinline_no_such_module_`) || !strings.Contains(r.Error, "does not exist") {
		t.Errorf("missing package: %+v", r)
	}
	if r := rs[1]; r.Success || !strings.Contains(r.Error, `import "bad..path/x"`) {
		t.Errorf("unmappable Go import: %+v", r)
	}
}

func nonce(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("%x", time.Now().UnixNano())
}

// TestExecPathAndEngineCAs: compile and run get the unprivileged PATH
// (no sbin: update-ca-certificates is out of reach, so the engine appends
// its custom CAs to the bundle instead of running two more containers per
// exec), and the snippet trusts the engine host's custom CAs when it has
// any (docs/exec.md "Network").
func TestExecPathAndEngineCAs(t *testing.T) {
	t.Parallel()
	o := engineOptions(t)
	code := "echo \"$PATH\"; command -v update-ca-certificates || echo no-update-command\ncat /etc/ssl/certs/ca-certificates.crt # " + nonce(t) + "\n"
	r, err := Run(context.Background(), Config{Options: o, Lang: "bash", Code: code})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(r.Output, "\n", 3)
	if !r.Success || len(lines) < 3 || lines[0] != userPath || lines[1] != "no-update-command" {
		t.Fatalf("want PATH %s and no update-ca-certificates: %+v", userPath, r)
	}
	// The engine here runs on this host (the default engine).
	dir := "/usr/local/share/ca-certificates"
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".crt") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		body := strings.TrimSpace(string(b))
		body = body[strings.Index(body, "\n")+1 : strings.LastIndex(body, "\n")] // the base64 lines
		if !strings.Contains(lines[2], body) {
			t.Errorf("the snippet's bundle lacks the engine host's CA %s", e.Name())
		}
		n++
	}
	t.Logf("%d engine host CAs checked in the snippet's bundle", n)
}
