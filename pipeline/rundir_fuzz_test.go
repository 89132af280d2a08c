package pipeline

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pinline/pinline/spec"
)

// FuzzRunDirWrites throws names and output dests at the run directory's
// writes (writeFile and an output export) while the run directory holds
// symlinks out of it (relative, absolute, to the parent): whatever the
// name — "..", absolute, NUL, backslashes, through a link — nothing outside
// the run directory is created or changed.
func FuzzRunDirWrites(f *testing.F) {
	for _, s := range []string{"run.json", "logs/a.log", "outputs/x", "../victim/passwd", "/etc/passwd",
		"out/passwd", "abs/passwd", "up/victim/passwd", "a\x00b", `..\victim`, ".", "", "outputs/../../x", "self/self/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		base := t.TempDir()
		run, victim := filepath.Join(base, "run"), filepath.Join(base, "victim")
		for _, d := range []string{run, victim} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(victim, "passwd"), []byte("root"), 0o644); err != nil {
			t.Fatal(err)
		}
		for link, target := range map[string]string{"out": "../victim", "abs": victim, "up": "..", "self": "."} {
			if err := os.Symlink(target, filepath.Join(run, link)); err != nil {
				t.Fatal(err)
			}
		}
		r, err := os.OpenRoot(run)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		d := &runDir{path: run, root: r}
		_ = d.writeFile(name, []byte("pwned"))
		e := &exporter{runDir: run, root: r}
		_, _ = e.export(context.Background(), "t", spec.Output{Path: "/o", Dest: name}, func(_ context.Context, st staging) error {
			return os.WriteFile(st.abs, []byte("pwned"), 0o644)
		})
		// Outside the run directory: exactly base/run, base/victim and
		// victim/passwd, unchanged.
		var seen []string
		_ = filepath.WalkDir(base, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if p == run {
				return filepath.SkipDir
			}
			seen = append(seen, p)
			return nil
		})
		if len(seen) != 3 {
			t.Fatalf("name %q: outside the run directory now %v", name, seen)
		}
		if b, err := os.ReadFile(filepath.Join(victim, "passwd")); err != nil || string(b) != "root" {
			t.Fatalf("name %q: victim changed: %q %v", name, b, err)
		}
	})
}
