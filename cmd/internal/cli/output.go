package cli

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
)

// printJSON writes v to w as indented JSON (the --json / --format json
// output of the commands).
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeFileAtomic writes name through a temporary file in the same
// directory and renames it into place, so a failed write never leaves a
// truncated BOM behind.
func writeFileAtomic(name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return opErr(err)
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return opErr(err)
	}
	if err := f.Close(); err != nil {
		return opErr(err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return opErr(err)
	}
	return wrapWrite(os.Rename(f.Name(), name))
}
