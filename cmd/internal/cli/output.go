package cli

import (
	"encoding/json"
	"io"

	"github.com/pinline/pinline/internal/atomicfile"
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
	return wrapWrite(atomicfile.WriteFunc(name, 0o644, write))
}
