package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/exec"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
)

const fakeDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func execFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExecCLIInput: usage and bad input exit 2 before any engine is
// reached; the configuration cache commands need no engine.
func TestExecCLIInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lock := execFile(t, dir, "lock.json", `{"version":1,"presets":{"bash":{"image":"r/b@`+fakeDigest+`","file":"main.sh","run":["bash","main.sh"]}}}`)
	tagged := execFile(t, dir, "tag.yaml", "version: 1\npresets:\n  py:\n    image: registry.example/python:3.12\n    file: main.py\n    run: [python3, main.py]\n")
	snippet := execFile(t, dir, "s.sh", "echo hi\n")
	batch := execFile(t, dir, "b.jsonl", `{"lang":"bash"}`+"\n")
	engine := execFile(t, dir, "engine.json", `{"engine": {"address": "unix://`+filepath.Join(dir, "no.sock")+`"}}`)
	// Grouped: the parallel cases end before the records are checked.
	t.Run("cases", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			args []string
			code int
			want string
		}{
			{"no mode", []string{"exec", snippet}, 2, "exactly one of --lang, --batch or --matrix"},
			{"no snippet", []string{"exec", "--lang", "bash", "--presets", lock}, 2, "needs the snippet"},
			{"no lock", []string{"exec", "--lang", "bash", snippet}, 2, "no presets lock file"},
			{"tag preset", []string{"exec", "--lang", "py", "--presets", lock, "--config", tagged, snippet}, 2, "not pinned by digest"},
			{"bad batch", []string{"exec", "--batch", batch, "--presets", lock, "--engine-config", engine}, 2, "line 1: exactly one of code and file"},
			{"engine unreachable", []string{"exec", "--lang", "bash", "--presets", lock, "--engine-config", engine, "--runs-dir", filepath.Join(dir, "runs"), snippet}, 3, "engine"},
			{"bad timeout", []string{"exec", "--lang", "bash", "--presets", lock, "--timeout", "0s", snippet}, 2, "must be positive"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				code, _, errOut := runCLIEnv(t, map[string]string{"PINLINE_DAGGER_CLI": "/bin/true"}, tc.args...)
				if code != tc.code || !strings.Contains(errOut, tc.want) {
					t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errOut, tc.want)
				}
			})
		}
	})
	// The unreachable engine left a failed record; bad input none.
	runs, err := record.ListRuns(filepath.Join(dir, "runs"))
	if err != nil || len(runs) != 1 || runs[0].Status != record.StatusFailed || !strings.Contains(runs[0].Error, "engine") ||
		len(runs[0].Tasks) != 1 || runs[0].Tasks[0].Snippet == nil || runs[0].Tasks[0].Snippet.Preset != "bash" {
		t.Errorf("records after the input cases: %+v %v", runs, err)
	}

	cacheDir := filepath.Join(dir, "cache")
	c := exec.NewConfigCache(cacheDir, 0)
	in, _ := exec.Resolve("python", []string{"requests"})
	c.Put(exec.Preset{Name: "python", Image: "r/p@" + fakeDigest}, []string{"requests"}, in)
	code, out, errOut := runCLIEnv(t, map[string]string{}, "exec", "--cache-stats", "--cache-dir", cacheDir)
	var st exec.CacheStats
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Disk != 1 || len(st.Entries) != 1 || st.Entries[0].Preset != "python" {
		t.Errorf("--cache-stats: exit %d, %s %s", code, out, errOut)
	}
	code, out, _ = runCLIEnv(t, map[string]string{}, "exec", "--clear-cache", "--cache-dir", cacheDir)
	if code != 0 || !strings.Contains(out, "removed 1 ") {
		t.Errorf("--clear-cache: exit %d, %s", code, out)
	}
}

// TestExecCLIEngine runs the command on the real engine: text mode exit
// codes, --json, --batch and --matrix (with a user preset).
func TestExecCLIEngine(t *testing.T) {
	t.Parallel()
	env := testenv.RequireAll(t, "hack/setup.d/30-engine.sh, 45-presets.sh", "PINLINE_ENGINE_SOCK", "PINLINE_DAGGER_CLI", "PINLINE_EXEC_PRESETS")
	lock, err := exec.ReadLock(env["PINLINE_EXEC_PRESETS"])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	engine := execFile(t, dir, "engine.json", `{"engine": {"address": "unix://`+env["PINLINE_ENGINE_SOCK"]+`"}}`)
	cliEnv := map[string]string{"PINLINE_DAGGER_CLI": env["PINLINE_DAGGER_CLI"], "PINLINE_EXEC_PRESETS": env["PINLINE_EXEC_PRESETS"], "PINLINE_ENGINE_CONFIG": engine}
	nonce := time.Now().Format("150405.000000000")
	runsDir := filepath.Join(dir, "runs")
	base := []string{"exec", "--cache-dir", filepath.Join(dir, "cache"), "--timeout", "5s", "--runs-dir", runsDir}

	code, out, errOut := runCLIEnv(t, cliEnv, append(base, "--lang", "bash", execFile(t, dir, "ok.sh", "echo hello "+nonce+"\n"))...)
	if code != 0 || out != "hello "+nonce+"\n" {
		t.Errorf("hello: exit %d, out %q, err %q", code, out, errOut)
	}
	code, out, errOut = runCLIEnv(t, cliEnv, append(base, "--lang", "bash", execFile(t, dir, "fail.sh", "echo out; echo oops >&2; exit 7 # "+nonce+"\n"))...)
	if code != 7 || out != "out\n" || errOut != "oops\n" {
		t.Errorf("fail: exit %d, out %q, err %q", code, out, errOut)
	}
	code, _, _ = runCLIEnv(t, cliEnv, append(base, "--lang", "bash", "--timeout", "2s", execFile(t, dir, "sleep.sh", "sleep 60 # "+nonce+"\n"))...)
	if code != 124 {
		t.Errorf("timeout: exit %d, want 124", code)
	}
	code, out, errOut = runCLIEnv(t, cliEnv, append(base, "--lang", "python", "--json", execFile(t, dir, "j.py", "print('j "+nonce+"')\n"))...)
	var r exec.Result
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || !r.Success || r.Output != "j "+nonce+"\n" || r.Image != lock.Presets["python"].Image || r.Preset != "python" {
		t.Errorf("--json: exit %d, %s %s", code, out, errOut)
	}
	var raw map[string]any
	_ = json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"success", "output", "error", "exitCode", "executionTime", "cached", "preset", "image", "timedOut", "truncated"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("--json result lacks %q: %s", k, out)
		}
	}

	execFile(t, dir, "f.rb", "puts 'from file "+nonce+"'\n")
	batch := execFile(t, dir, "batch.jsonl", strings.Join([]string{
		`{"lang":"python","code":"print('b1 ` + nonce + `')"}`,
		`{"lang":"ruby","file":"f.rb"}`,
		`{"lang":"bash","code":"sleep 30","timeout":2}`,
		`{"lang":"nope","code":"x"}`,
	}, "\n")+"\n")
	code, out, errOut = runCLIEnv(t, cliEnv, append(base, "--batch", batch, "-j", "2")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 4 {
		t.Fatalf("--batch: exit %d (want 1: not all succeeded), %d lines:\n%s\n%s", code, len(lines), out, errOut)
	}
	var rs [4]exec.Result
	for i, l := range lines {
		if err := json.Unmarshal([]byte(l), &rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !rs[0].Success || rs[0].Output != "b1 "+nonce+"\n" || !rs[1].Success || rs[1].Output != "from file "+nonce+"\n" ||
		!rs[2].TimedOut || rs[2].ExitCode != 124 || rs[3].Success || !strings.Contains(rs[3].Error, `unknown preset "nope"`) {
		t.Errorf("--batch results: %+v", rs)
	}

	alt := execFile(t, dir, "alt.yaml", "version: 1\npresets:\n  python-alt:\n    image: "+lock.Presets["python"].Image+
		"\n    file: snippet.py\n    run: [python3, -X, utf8, snippet.py]\n    packages: python\n")
	code, out, errOut = runCLIEnv(t, cliEnv, append(base, "--matrix", "python,python-alt", "--config", alt, execFile(t, dir, "m.py", "import sys\nprint(sys.argv[0], '"+nonce+"')\n"))...)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[0], `"output":"main.py `+nonce) || !strings.Contains(lines[1], `"output":"snippet.py `+nonce) || !strings.Contains(lines[1], `"preset":"python-alt"`) {
		t.Errorf("--matrix: exit %d\n%s\n%s", code, out, errOut)
	}

	checkExecRecords(t, runsDir, nonce, lock.Presets["python"].Image)
}

// checkExecRecords: every exec above left one run record (6: hello, fail,
// timeout, --json, --batch, --matrix) that `pinline runs` lists and
// `pinline report` reads, with presets, digests, results and cache state,
// and none holds a snippet's source or output (the nonce is in both).
func checkExecRecords(t *testing.T, runsDir, nonce, pyImage string) {
	t.Helper()
	runs, err := record.ListRuns(runsDir)
	if err != nil || len(runs) != 6 {
		t.Fatalf("want 6 run records, got %d (%v)", len(runs), err)
	}
	dirs, _ := record.RunDirs(runsDir)
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, record.RunFile))
		if err != nil || strings.Contains(string(b), nonce) {
			t.Errorf("%s holds the snippet's source or output (or is unreadable: %v)", d, err)
		}
	}
	byTasks := map[int]record.Run{}
	for _, r := range runs {
		byTasks[len(r.Tasks)] = r
		for _, tk := range r.Tasks {
			if tk.Snippet == nil || (tk.Snippet.Preset != "nope" && (!strings.HasPrefix(tk.Snippet.Digest, "sha256:") || tk.Cached == nil)) {
				t.Errorf("run %s task %s: no snippet, digest or cache state: %+v", r.ID, tk.Name, tk)
			}
		}
	}
	b := byTasks[4] // the batch
	if b.Status != record.StatusFailed || b.Tasks[0].Status != record.StatusSucceeded || b.Tasks[0].Image != pyImage ||
		b.Tasks[2].Status != record.StatusTimedOut || b.Tasks[2].ExitCode != 124 || b.Tasks[3].Error != "not run" {
		t.Errorf("batch record: %+v", b)
	}
	if m := byTasks[2]; m.Status != record.StatusSucceeded || m.Tasks[1].Snippet.Preset != "python-alt" {
		t.Errorf("matrix record: %+v", m)
	}
	code, out, errOut := runCLIEnv(t, map[string]string{}, "runs", "--dir", runsDir)
	if code != 0 || strings.Count(out, "\n") != 7 {
		t.Errorf("pinline runs: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLIEnv(t, map[string]string{}, "report", "--runs", runsDir, "--format", "json")
	if code != 0 || !strings.Contains(out, b.ID) || strings.Contains(out, nonce) {
		t.Errorf("pinline report: exit %d\n%.2000s\n%s", code, out, errOut)
	}
}
