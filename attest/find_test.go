package attest

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFindAttestations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, n := range []string{"b/run.intoto.json", "a.sigstore.json", "notes.json", "x.intoto.jsonl", "b/c.dsse.json", "d.bundle.json"} {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := FindAttestations(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.sigstore.json", "b/c.dsse.json", "b/run.intoto.json", "d.bundle.json", "x.intoto.jsonl"}
	for i := range want {
		want[i] = filepath.Join(dir, want[i])
	}
	if !slices.Equal(got, want) {
		t.Errorf("FindAttestations = %q, want %q", got, want)
	}
	if _, err := FindAttestations(t.TempDir()); !errors.Is(err, ErrBadInput) {
		t.Errorf("empty dir: %v, want bad input", err)
	}
	if _, err := FindAttestations(filepath.Join(dir, "missing")); !errors.Is(err, ErrBadInput) {
		t.Errorf("missing dir: %v, want bad input", err)
	}
}
