package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pinline/pinline/inventory"
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
// with data: a temporary file in the same directory, synced, then renamed,
// all inside the root.
func (d *runDir) writeFile(name string, data []byte) error {
	if err := d.root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(path.Dir(name), "."+path.Base(name)+".pinline-"+hex.EncodeToString(rnd[:]))
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = d.root.Rename(tmp, name)
	}
	if werr != nil {
		_ = d.root.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, werr)
	}
	return nil
}

func (d *runDir) writeJSON(name string, v any) error {
	b, err := marshalRecord(v)
	if err != nil {
		return err
	}
	return d.writeFile(name, b)
}

// marshalRecord is the encoding of every JSON file of the run directory.
func marshalRecord(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
