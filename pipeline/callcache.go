package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/pinline/pinline/record"
)

// The module resolution cache. A `pinline call` needs the engine's answer
// to moduleSource (the module's digest, its dependencies by commit); asking
// for it takes a second engine session, which on a loaded 2-core machine
// slows the call child beside it more than anything else pinline does
// (docs/benchmarks.md). The answer is a function of what the engine loads:
// the module's files and configuration, its dependencies, and the engine.
// Where every dependency is pinned by commit, an earlier answer to
// identical inputs on the same engine is the answer, and the run reuses it
// instead of asking again; run.json says so (record.Call.Resolution).
//
// What a hostile repository can do: it chooses the inputs, never the entry.
// An entry is written only by pinline, only from the engine's own answer,
// under the user's cache directory (never the repository's), in a file
// named by the SHA-256 of the inputs; a reader takes an entry only when it
// is a regular file of this user (not a symlink), its key is the key it
// computed, and the call child reported the entry's engine name and
// version. A module whose answer could depend on anything the key does not
// cover (a local dependency, an include or source outside the module
// directory, pinline's run records inside it, a dependency without a
// commit pin, too many or too large files) is never cached.

// callCacheDir is where entries live (a var for tests).
var callCacheDir = func() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "pinline", "callresolve"), nil
}

// callCacheVersion changes with the key's or the entry's format.
const callCacheVersion = "pinline-callresolve-v1"

// Bounds of the module directory a key covers: larger modules are
// resolved by the engine every time.
const (
	callCacheMaxFiles = 2000
	callCacheMaxBytes = 64 << 20
	callCacheMaxEntry = 1 << 20
)

// callCacheEntry is one stored answer.
type callCacheEntry struct {
	Version       string                  `json:"version"`
	Key           string                  `json:"key"`
	Engine        string                  `json:"engine"`
	EngineVersion string                  `json:"engineVersion"`
	ResolvedAt    string                  `json:"resolvedAt"`
	ModuleDigest  string                  `json:"moduleDigest"`
	ModuleName    string                  `json:"moduleName,omitempty"`
	Dependencies  []record.CallDependency `json:"dependencies"`
}

// engineID is the engine a call child connected to, as it reported it.
type engineID struct{ name, version string }

func (e engineID) valid() bool { return e.name != "" && e.version != "" }

// connectedLine is the dagger CLI's line when it connected to the engine
// (--progress=plain), printed before any module code runs.
var connectedLine = regexp.MustCompile(`\bconnected name=(\S+) client-version=\S+ server-version=(v[0-9][0-9A-Za-z.+-]*)`)

// ansiEscape matches the CLI's colour escapes.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// childEngine is the engine named by the first connected line of a call
// child's stderr (the zero value without one). Only the first counts: it
// comes before the module's code could print anything.
func childEngine(stderr string) engineID {
	for _, l := range strings.SplitN(stderr, "\n", 64) {
		if !strings.Contains(l, "connected") {
			continue
		}
		if m := connectedLine.FindStringSubmatch(ansiEscape.ReplaceAllString(l, "")); m != nil {
			return engineID{name: m[1], version: m[2]}
		}
	}
	return engineID{}
}

var (
	errNotCacheable = errors.New("module resolution not cacheable")
	hexCommit       = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
)

// callCacheKey is the SHA-256 of everything the engine's answer about the
// module depends on that pinline can see: the engine (its address or
// gateway, the tier), the module directory and every entry under it (path,
// type, mode, content or link target, not following symlinks), the root's
// dagger.toml and dagger.lock and the .gitignore files from the root down
// to the module. errNotCacheable when the module is out of the key's reach.
func callCacheKey(o *Options, m *callModule) (string, error) {
	root, err := filepath.EvalSymlinks(o.Root)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	field := func(k, v string) { fmt.Fprintf(h, "%s=%d:%s\n", k, len(v), v) }
	field("v", callCacheVersion)
	field("engine", dirCallKey(o.Engine))
	field("tier", o.Tier)
	field("root", root)
	field("module", m.dir)
	if cfg, err := os.ReadFile(filepath.Join(m.dir, "dagger.json")); err == nil {
		var c struct {
			Source  string   `json:"source"`
			Include []string `json:"include"`
		}
		if json.Unmarshal(cfg, &c) != nil {
			return "", errNotCacheable
		}
		for _, p := range append([]string{c.Source}, c.Include...) {
			p = strings.TrimPrefix(p, "!")
			if filepath.IsAbs(p) || strings.Contains(p, "..") {
				return "", errNotCacheable // reaches outside the module directory
			}
		}
	}
	// Files of the root and the directories above the module.
	for _, f := range []string{"dagger.toml", "dagger.lock"} {
		fileField(h, root, f)
	}
	rel, err := filepath.Rel(root, m.dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", errNotCacheable
	}
	dir := root
	fileField(h, dir, ".gitignore")
	if rel != "." {
		for _, part := range strings.Split(rel, string(filepath.Separator)) {
			dir = filepath.Join(dir, part)
			fileField(h, dir, ".gitignore")
		}
	}
	if _, err := os.Lstat(filepath.Join(m.dir, ".pinline")); err == nil {
		// pinline's records (a new run directory every run) are part of
		// what the engine loads (a module at the repository root).
		return "", errNotCacheable
	}
	// Every entry under the module directory.
	var files int
	var bytes int64
	err = filepath.WalkDir(m.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(m.dir, p)
		r = filepath.ToSlash(r)
		if d.IsDir() && d.Name() == ".pinline" {
			// pinline's records further down: never cached.
			return errNotCacheable
		}
		if files++; files > callCacheMaxFiles {
			return errNotCacheable
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch t := info.Mode(); {
		case t.IsDir():
			field("d", fmt.Sprintf("%s %o", r, t.Perm()))
		case t&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			field("l", r+" "+target)
		case t.IsRegular():
			if bytes += info.Size(); bytes > callCacheMaxBytes {
				return errNotCacheable
			}
			sum, err := fileSHA256(p)
			if err != nil {
				return err
			}
			field("f", fmt.Sprintf("%s %o %s", r, t.Perm(), sum))
		default:
			return errNotCacheable // devices, sockets, pipes
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// fileField adds the content of dir/name (or its absence) to the key.
func fileField(h io.Writer, dir, name string) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fmt.Fprintf(h, "%s=absent\n", name)
		return
	}
	sum := sha256.Sum256(b)
	fmt.Fprintf(h, "%s=%x\n", name, sum)
}

// fileSHA256 hashes a regular file without following a symlink.
func fileSHA256(p string) (string, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cacheableResolution reports whether the engine's answer may be stored:
// every dependency a git module pinned by the commit it resolved to.
func cacheableResolution(rc *record.Call) bool {
	if rc.ModuleDigest == "" {
		return false
	}
	for _, d := range rc.Dependencies {
		if !strings.EqualFold(d.Kind, "GIT_SOURCE") || !hexCommit.MatchString(d.Commit) || d.Pin != d.Commit {
			return false
		}
	}
	return true
}

// entryPath is the file of a key.
func entryPath(key string) (string, error) {
	dir, err := callCacheDir()
	if err != nil {
		return "", err
	}
	sum, ok := strings.CutPrefix(key, "sha256:")
	if !ok || len(sum) != 64 {
		return "", errNotCacheable
	}
	return filepath.Join(dir, sum+".json"), nil
}

// loadCallCache returns the entry of key, or nil: no entry, or one that is
// not a regular file of this user, is too large, does not parse, has
// another key or version, or holds an answer that could not be stored.
func loadCallCache(key string) *callCacheEntry {
	p, err := entryPath(key)
	if err != nil {
		return nil
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o022 != 0 || st.Size() > callCacheMaxEntry {
		return nil
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || int(sys.Uid) != os.Geteuid() {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(f, callCacheMaxEntry+1))
	if err != nil || len(b) > callCacheMaxEntry {
		return nil
	}
	var e callCacheEntry
	if json.Unmarshal(b, &e) != nil || e.Version != callCacheVersion || e.Key != key || !e.engine().valid() {
		return nil
	}
	rc := record.Call{ModuleDigest: e.ModuleDigest, Dependencies: e.Dependencies}
	if !cacheableResolution(&rc) {
		return nil
	}
	return &e
}

func (e *callCacheEntry) engine() engineID { return engineID{name: e.Engine, version: e.EngineVersion} }

// storeCallCache writes the engine's answer in rc under key (best effort:
// a failure only means the next call asks the engine again).
func storeCallCache(key string, eng engineID, rc *record.Call, now time.Time) {
	if !eng.valid() || !cacheableResolution(rc) {
		return
	}
	p, err := entryPath(key)
	if err != nil {
		return
	}
	b, err := json.Marshal(callCacheEntry{Version: callCacheVersion, Key: key, Engine: eng.name, EngineVersion: eng.version,
		ResolvedAt: now.UTC().Format(time.RFC3339), ModuleDigest: rc.ModuleDigest, ModuleName: rc.ModuleName, Dependencies: rc.Dependencies})
	if err != nil {
		return
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".entry-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), p) != nil {
		_ = os.Remove(tmp.Name())
	}
}

// applyCallCache fills rc from a cached answer and says so in the record.
func applyCallCache(e *callCacheEntry, rc *record.Call) {
	rc.ModuleDigest = e.ModuleDigest
	if e.ModuleName != "" {
		rc.ModuleName = e.ModuleName
	}
	rc.Dependencies = append([]record.CallDependency{}, e.Dependencies...)
	rc.Resolution = &record.CallResolution{From: "cache", Key: e.Key, Engine: e.Engine, EngineVersion: e.EngineVersion, ResolvedAt: e.ResolvedAt}
}
