package attest

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
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
