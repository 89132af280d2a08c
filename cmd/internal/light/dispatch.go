package light

import (
	"fmt"
	"os"
	"path/filepath"
)

// FullName is the file name of the full binary (cmd/pinline-full).
const FullName = "pinline-full"

// FullBinary returns the full binary: FullName in the directory of the
// running executable, after resolving symlinks (so a symlinked pinline
// finds the pinline-full it was installed with). It is never looked up on
// PATH or in the working directory.
func FullBinary() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return "", fmt.Errorf("locate the pinline executable: %w", err)
	}
	full := filepath.Join(filepath.Dir(exe), FullName)
	st, err := os.Stat(full)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("this command is in %s, which is not installed next to %s: build and install both binaries "+
			"(go install ./cmd/... or make build)", FullName, exe)
	}
	return full, nil
}

// ExecFull replaces the process with the full binary running args (see
// execFull); it returns only when that fails.
func ExecFull(args []string) error {
	full, err := FullBinary()
	if err != nil {
		return err
	}
	return execFull(full, args)
}
