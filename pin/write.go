package pin

import (
	"os"

	"github.com/pinline/pinline/internal/atomicfile"
)

// writeAtomic replaces path with data (temporary file and rename), keeping
// the file's mode.
func writeAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	return atomicfile.Write(path, data, mode)
}
