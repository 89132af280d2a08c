package attest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileSHA256(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, size := range []int{0, 1, 32 << 10, 100<<10 + 7} {
		data := []byte(strings.Repeat("pinline", size/7+1))[:size]
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		got, n, err := FileSHA256(p)
		if err != nil || got != hex.EncodeToString(sum[:]) || n != int64(size) {
			t.Errorf("size %d: got %s %d %v", size, got, n, err)
		}
	}
	if _, _, err := FileSHA256(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

func TestIsSHA256Hex(t *testing.T) {
	t.Parallel()
	ok := strings.Repeat("0123456789abcdef", 4)
	for s, want := range map[string]bool{
		ok:                      true,
		strings.ToUpper(ok):     false,
		ok[:63]:                 false,
		ok + "0":                false,
		ok[:63] + "g":           false,
		"":                      false,
		strings.Repeat("é", 32): false,
	} {
		if got := isSHA256Hex(s); got != want {
			t.Errorf("isSHA256Hex(%q) = %v, want %v", s, got, want)
		}
	}
}
