package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
)

// runDir is the run directory .pinline/runs/<id>/ opened as an os.Root:
// every write pinline makes under it (records, logs, evidence, outputs)
// goes through root, which refuses any path or symlink leading out of it,
// including links an earlier output of the same run created.
type runDir struct {
	path string
	root *os.Root
}

// openRunDir creates <runsDir>/<id>/logs and opens the run directory. When
// runsDir is inside the repository (the default .pinline/runs), it is
// created through an os.Root on the repository, so a committed symlink
// (.pinline -> /, .pinline/runs -> /etc) cannot send the record elsewhere.
func openRunDir(repoRoot, runsDir, id string) (*runDir, error) {
	base, rel := runsDir, "."
	if r, err := filepath.Rel(repoRoot, runsDir); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		// Said clearly (bad input) rather than as os.Root's refusal below.
		if real, inside := inventory.ResolveIn(repoRoot, r); !inside {
			return nil, fmt.Errorf("%w: run directory %s resolves to %s, outside the repository (a symlink in the repository)", ErrInvalid, runsDir, real)
		}
		base, rel = repoRoot, r
	} else if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return nil, err
	}
	br, err := os.OpenRoot(base)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	name := filepath.Join(rel, id)
	if err := br.MkdirAll(filepath.Join(name, "logs"), 0o755); err != nil {
		return nil, err
	}
	r, err := br.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	return &runDir{path: filepath.Join(runsDir, id), root: r}, nil
}

func (d *runDir) Close() error { return d.root.Close() }

// writeFile replaces name (slash-separated, relative to the run directory)
// with data, atomically and inside the root (record.WriteFile).
func (d *runDir) writeFile(name string, data []byte) error {
	return record.WriteFile(d.root, name, data)
}
