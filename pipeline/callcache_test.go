package pipeline

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// cacheModule writes a module directory ci/ under a fresh root and returns
// the options and module of a call of it.
func cacheModule(t *testing.T) (*Options, *callModule) {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"ci/dagger.json": `{"name": "m", "sdk": {"source": "go"}}`,
		"ci/main.go":     "package main\n",
		"ci/sub/x.txt":   "x\n",
	})
	o := &Options{Root: root, Tier: "trusted", Engine: Engine{Address: "unix:///run/engine.sock"}}
	m, err := moduleOf(root, &spec.Call{Module: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	return o, m
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func useCacheDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "callresolve")
	old := callCacheDir
	callCacheDir = func() (string, error) { return dir, nil }
	t.Cleanup(func() { callCacheDir = old })
	return dir
}

const depCommit = "dcd08745b82883b61ef8f926e3561f014a52e41e"

func pinnedCall() *record.Call {
	return &record.Call{ModuleDigest: "xxh3:b789bf4886d9eb9a", ModuleName: "m", Dependencies: []record.CallDependency{{
		Name: "dep", Source: "http://127.0.0.1/dep.git@v1.0.0", Kind: "GIT_SOURCE", Version: "v1.0.0",
		Commit: depCommit, Pin: depCommit, Digest: "xxh3:1643217e6c867011"}}}
}

var vm = engineID{name: "vm", version: "v0.19.10"}

// The key covers what the engine's answer depends on: any change of the
// module's files, modes, links, the root's dagger.lock/dagger.toml, the
// .gitignore files above the module, the engine or the tier is a new key.
func TestCallCacheKey(t *testing.T) {
	o, m := cacheModule(t)
	key := func() string {
		t.Helper()
		k, err := callCacheKey(o, m)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k0 := key()
	if key() != k0 {
		t.Fatal("key not stable")
	}
	seen := map[string]string{k0: "original"}
	change := func(name string, f func()) {
		t.Helper()
		f()
		k := key()
		if prev, ok := seen[k]; ok {
			t.Errorf("%s: key unchanged (same as %s)", name, prev)
		}
		seen[k] = name
	}
	change("main.go edited", func() { writeFiles(t, o.Root, map[string]string{"ci/main.go": "package main // x\n"}) })
	change("new file", func() { writeFiles(t, o.Root, map[string]string{"ci/sub/y.txt": ""}) })
	change("mode", func() { _ = os.Chmod(filepath.Join(o.Root, "ci/sub/y.txt"), 0o755) })
	change("symlink", func() { _ = os.Symlink("x.txt", filepath.Join(o.Root, "ci/sub/l")) })
	change("symlink target", func() {
		_ = os.Remove(filepath.Join(o.Root, "ci/sub/l"))
		_ = os.Symlink("/etc/passwd", filepath.Join(o.Root, "ci/sub/l"))
	})
	change("root dagger.lock", func() { writeFiles(t, o.Root, map[string]string{"dagger.lock": "[]"}) })
	change("root dagger.toml", func() { writeFiles(t, o.Root, map[string]string{"dagger.toml": "x = 1"}) })
	change("root .gitignore", func() { writeFiles(t, o.Root, map[string]string{".gitignore": "sub/"}) })
	change("module .gitignore", func() { writeFiles(t, o.Root, map[string]string{"ci/.gitignore": "x"}) })
	change("tier", func() { o.Tier = "untrusted" })
	change("engine", func() { o.Engine.Address = "unix:///run/other.sock" })
	change("gateway", func() { o.Engine.Gateway = "127.0.0.1:8443" })
	// A symlink is hashed as a link: the key never reads what it names.
	if err := os.Symlink("/etc/shadow", filepath.Join(o.Root, "ci/shadow")); err != nil {
		t.Fatal(err)
	}
	key()

	for _, tc := range []struct {
		name  string
		setup func(root string)
	}{
		{"include outside", func(r string) {
			writeFiles(t, r, map[string]string{"ci/dagger.json": `{"name": "m", "include": ["../shared/**"]}`})
		}},
		{"source outside", func(r string) {
			writeFiles(t, r, map[string]string{"ci/dagger.json": `{"name": "m", "source": ".."}`})
		}},
		{"run records inside", func(r string) { writeFiles(t, r, map[string]string{"ci/.pinline/runs/x/run.json": "{}"}) }},
		{"fifo", func(r string) { _ = syscall.Mkfifo(filepath.Join(r, "ci/fifo"), 0o644) }},
		{"bad dagger.json", func(r string) { writeFiles(t, r, map[string]string{"ci/dagger.json": `{`}) }},
	} {
		o, m := cacheModule(t)
		tc.setup(o.Root)
		if _, err := callCacheKey(o, m); !errors.Is(err, errNotCacheable) {
			t.Errorf("%s: err %v, want not cacheable", tc.name, err)
		}
	}
}

func TestCallCacheStoreLoad(t *testing.T) {
	dir := useCacheDir(t)
	o, m := cacheModule(t)
	key, err := callCacheKey(o, m)
	if err != nil {
		t.Fatal(err)
	}
	if loadCallCache(key) != nil {
		t.Fatal("hit in an empty cache")
	}
	at := time.Date(2026, 12, 7, 1, 55, 2, 0, time.UTC)
	storeCallCache(key, vm, pinnedCall(), at)
	e := loadCallCache(key)
	if e == nil {
		t.Fatal("no hit after store")
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("cache dir %v %v, want 0700", st.Mode(), err)
	}
	rc := &record.Call{Module: "ci"}
	applyCallCache(e, rc)
	want := pinnedCall()
	if rc.ModuleDigest != want.ModuleDigest || len(rc.Dependencies) != 1 || rc.Dependencies[0] != want.Dependencies[0] {
		t.Errorf("applied %+v", rc)
	}
	if r := rc.Resolution; r == nil || r.From != "cache" || r.Key != key || r.Engine != "vm" || r.EngineVersion != "v0.19.10" ||
		r.ResolvedAt != "2026-12-07T01:55:02Z" {
		t.Errorf("resolution %+v", rc.Resolution)
	}

	// Answers that are never stored.
	for name, mut := range map[string]func(*record.Call){
		"no commit":       func(c *record.Call) { c.Dependencies[0].Commit, c.Dependencies[0].Pin = "", "" },
		"pin not commit":  func(c *record.Call) { c.Dependencies[0].Pin = "v1.0.0" },
		"short commit":    func(c *record.Call) { c.Dependencies[0].Commit, c.Dependencies[0].Pin = "dcd0874", "dcd0874" },
		"local":           func(c *record.Call) { c.Dependencies[0].Kind = "LOCAL_SOURCE" },
		"no digest":       func(c *record.Call) { c.ModuleDigest = "" },
		"upper-case hash": func(c *record.Call) { c.Dependencies[0].Commit = strings.ToUpper(depCommit) },
	} {
		c := pinnedCall()
		mut(c)
		k := "sha256:" + strings.Repeat("1", 64)
		storeCallCache(k, vm, c, at)
		if loadCallCache(k) != nil {
			t.Errorf("%s: stored", name)
		}
	}
	k := "sha256:" + strings.Repeat("2", 64)
	storeCallCache(k, engineID{}, pinnedCall(), at)
	if loadCallCache(k) != nil {
		t.Error("stored without the engine's identity")
	}
}

// A hostile repository chooses the inputs of a key, never an entry: what
// lies in the cache directory is taken only as a regular file of this user,
// not writable by others, with the key it is looked up by and an answer
// that could have been stored.
func TestCallCacheHostileEntries(t *testing.T) {
	dir := useCacheDir(t)
	o, m := cacheModule(t)
	key, err := callCacheKey(o, m)
	if err != nil {
		t.Fatal(err)
	}
	path, err := entryPath(key)
	if err != nil {
		t.Fatal(err)
	}
	good := func() []byte {
		b, _ := json.Marshal(callCacheEntry{Version: callCacheVersion, Key: key, Engine: "vm", EngineVersion: "v0.19.10",
			ResolvedAt: "2026-12-07T01:55:02Z", ModuleDigest: "xxh3:1", Dependencies: pinnedCall().Dependencies})
		return b
	}
	put := func(b []byte, mode os.FileMode) {
		t.Helper()
		_ = os.RemoveAll(path)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	put(good(), 0o600)
	if loadCallCache(key) == nil {
		t.Fatal("good entry refused")
	}
	for _, tc := range []struct {
		name  string
		setup func()
	}{
		{"symlink to an entry", func() {
			elsewhere := filepath.Join(t.TempDir(), "e.json")
			_ = os.WriteFile(elsewhere, good(), 0o600)
			_ = os.Remove(path)
			_ = os.Symlink(elsewhere, path)
		}},
		{"entry of another key renamed", func() {
			var e callCacheEntry
			_ = json.Unmarshal(good(), &e)
			e.Key = "sha256:" + strings.Repeat("3", 64)
			b, _ := json.Marshal(e)
			put(b, 0o600)
		}},
		{"world-writable", func() { put(good(), 0o666) }},
		{"group-writable", func() { put(good(), 0o620) }},
		{"too large", func() { put(append(good(), make([]byte, callCacheMaxEntry)...), 0o600) }},
		{"not JSON", func() { put([]byte("{"), 0o600) }},
		{"other version", func() { put([]byte(strings.Replace(string(good()), callCacheVersion, "v0", 1)), 0o600) }},
		{"unpinned dependency planted", func() {
			put([]byte(strings.ReplaceAll(string(good()), depCommit, "main")), 0o600)
		}},
		{"no engine", func() { put([]byte(strings.Replace(string(good()), `"vm"`, `""`, 1)), 0o600) }},
		{"directory", func() { _ = os.RemoveAll(path); _ = os.MkdirAll(path, 0o700) }},
	} {
		tc.setup()
		if e := loadCallCache(key); e != nil {
			t.Errorf("%s: taken: %+v", tc.name, e)
		}
	}
	if _, err := entryPath("../../etc/passwd"); err == nil {
		t.Error("entryPath took a path")
	}
}

func TestChildEngine(t *testing.T) {
	line := "\x1b[95m3   : \x1b[0m\x1b[90;2m┆ \x1b[0m\x1b[90m[0.0s] \x1b[0m\x1b[90m|\x1b[0m \x1b[2m01:51:10\x1b[0m \x1b[92mINF\x1b[0m connected \x1b[2mname=\x1b[0mvm \x1b[2mclient-version=\x1b[0mv0.19.10 \x1b[2mserver-version=\x1b[0mv0.19.10\n"
	for _, tc := range []struct {
		name, stderr string
		want         engineID
	}{
		{"plain progress", "1   : connect\n" + line + "12  : Bench.hello DONE\n", vm},
		{"module prints a later one", line + "12  : connected name=evil client-version=v1 server-version=v9.9.9\n", vm},
		{"none", "1   : connect\nerror: no engine\n", engineID{}},
		{"no version", "connected name=vm client-version=v0.19.10 server-version=\n", engineID{}},
	} {
		if got := childEngine(tc.stderr); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
