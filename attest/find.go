package attest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
)

// attestationSuffixes are the file names FindAttestations picks up.
var attestationSuffixes = []string{".intoto.json", ".intoto.jsonl", ".sigstore.json", ".dsse.json", ".bundle.json"}

// IsAttestationName reports whether a file name is one of an attestation:
// a DSSE envelope, JSON lines of them, or a sigstore bundle.
func IsAttestationName(n string) bool {
	for _, suf := range attestationSuffixes {
		if strings.HasSuffix(n, suf) {
			return true
		}
	}
	return false
}

// FindAttestations walks dir and returns its attestation files
// (IsAttestationName), sorted. A directory that cannot be walked or holds
// none is bad input.
func FindAttestations(dir string) ([]string, error) {
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && IsAttestationName(d.Name()) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: %s: no attestation files", ErrBadInput, dir)
	}
	sort.Strings(found)
	return found, nil
}

// ReadAttestations reads and parses files, workers at a time (parsing is a
// sixth of keyless verification), and returns their attestations in file
// order. The first failing file in that order decides the error; a file
// that cannot be read is ErrBadInput.
func ReadAttestations(files []string, workers int) ([]Attestation, error) {
	parsed := make([][]Attestation, len(files))
	errs := make([]error, len(files))
	var g errgroup.Group
	g.SetLimit(max(workers, 1))
	for i, f := range files {
		g.Go(func() error {
			data, err := os.ReadFile(f)
			if err != nil {
				errs[i] = fmt.Errorf("%w: %w", ErrBadInput, err)
				return nil
			}
			parsed[i], errs[i] = ParseAttestations(f, data)
			return nil
		})
	}
	_ = g.Wait()
	var out []Attestation
	for i := range files {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, parsed[i]...)
	}
	return out, nil
}
