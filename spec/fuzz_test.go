package spec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	matches, _ := filepath.Glob("testdata/specs/*.yaml")
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: 1\ntasks:\n  a: &x {image: a:1, run: [x]}\n  b: *x\n"))
	f.Add([]byte("version: 1\ntasks: {a: {image: a:1, run: [x], dependsOn: [a]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f", data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *spec.Error", err, err)
			}
			return
		}
		// A valid spec has tasks with known references and no cycle.
		names := map[string]bool{}
		for _, tk := range s.Tasks {
			names[tk.Name] = true
		}
		for _, tk := range s.Tasks {
			for _, d := range tk.Deps() {
				if !names[d] {
					t.Fatalf("task %s depends on unknown %s", tk.Name, d)
				}
			}
			if count(tk.Run != nil, tk.Sh != "", tk.Call != nil) != 1 {
				t.Fatalf("task %s: exactly one of run, sh and call violated", tk.Name)
			}
			for _, sec := range tk.Secrets {
				if (sec.Env == "") == (sec.Path == "") {
					t.Fatalf("secret %s: env xor path violated", sec.Name)
				}
			}
			if tk.Pos.Line < 1 {
				t.Fatalf("task %s without position", tk.Name)
			}
		}
	})
}
