package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pinline/pinline/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

// checkGolden compares v, as indented JSON, with the golden file (-update
// rewrites it first); what names the value in the failure.
func checkGolden(t *testing.T, golden, what string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs from %s (-want +got):\n%s", what, golden, d)
	}
}

// TestCollectGolden collects the example repositories and compares the
// inventory with testdata/golden/<repo>.json (go test -update rewrites).
func TestCollectGolden(t *testing.T) {
	t.Parallel()
	repos := map[string]string{
		"clean":    "../testdata/repos/clean",
		"unpinned": "../testdata/repos/unpinned",
		"polyglot": "testdata/repos/polyglot",
	}
	for name, dir := range repos {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			inv, err := Collect(context.Background(), Options{Root: dir})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata/golden", name+".json"), "inventory", inv)
			// Deterministic: a second run with one worker is identical.
			again, err := Collect(context.Background(), Options{Root: dir, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(inv, again); d != "" {
				t.Errorf("second collection differs:\n%s", d)
			}
		})
	}
}

// TestCollectMalformed checks that malformed example repos fail with a
// typed error naming the file and position.
func TestCollectMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir       string
		want      string
		line, col int
	}{
		{"../testdata/repos/malformed-json", "dagger.json:10:7: invalid JSON: invalid character '\"' after object key:value pair", 10, 7},
		{"../testdata/repos/malformed-yaml", "pinline.yaml:6: invalid YAML: found unexpected end of stream", 6, 0},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			t.Parallel()
			_, err := Collect(context.Background(), Options{Root: tt.dir})
			if err == nil {
				t.Fatal("Collect succeeded on a malformed repo")
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
			var pe *ParseError
			var se *spec.Error
			switch {
			case errors.As(err, &pe):
				if pe.Line != tt.line || pe.Column != tt.col {
					t.Errorf("position = %d:%d, want %d:%d", pe.Line, pe.Column, tt.line, tt.col)
				}
			case errors.As(err, &se):
				if se.Line != tt.line || se.Column != tt.col {
					t.Errorf("position = %d:%d, want %d:%d", se.Line, se.Column, tt.line, tt.col)
				}
			default:
				t.Errorf("error %T is neither *ParseError nor *spec.Error", err)
			}
		})
	}
}
