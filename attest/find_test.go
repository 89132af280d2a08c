package attest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
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

// TestReadAttestations: files are parsed in parallel and come back in file
// order; the first bad file in that order decides the error.
func TestReadAttestations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k := newTestKey(t, "k")
	var files []string
	for i := range 20 {
		env, bundle := signedProvenance(t, k, sampleDescription(time.Unix(int64(i), 0)))
		data := env
		if i%2 == 1 {
			data = bundle
		}
		p := filepath.Join(dir, fmt.Sprintf("%02d.intoto.json", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	atts, err := ReadAttestations(files, 4)
	if err != nil || len(atts) != len(files) {
		t.Fatalf("%d attestations, %v", len(atts), err)
	}
	for i, a := range atts {
		if a.Source != files[i] || (a.Format == FormatBundle) != (i%2 == 1) {
			t.Fatalf("attestation %d is %s (%s)", i, a.Source, a.Format)
		}
	}
	bad := filepath.Join(dir, "bad.intoto.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.intoto.json")
	_, err = ReadAttestations(append(slices.Clone(files[:3]), bad, missing), 4)
	var le *LocatedError
	if !errors.Is(err, ErrBadInput) || !errors.As(err, &le) || le.File != bad {
		t.Fatalf("want the parse error of %s first, got %v", bad, err)
	}
	if _, err := ReadAttestations([]string{missing, bad}, 2); !errors.Is(err, ErrBadInput) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
