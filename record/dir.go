package record

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/pinline/pinline/internal/jsonerr"
)

// ErrMalformed is wrapped by every error about a run.json or decision.json
// that was read but is not a record: invalid JSON, wrong types, a missing or
// invalid id, an id that is not its directory's name.
var ErrMalformed = errors.New("malformed run record")

// ErrNoRunsDir means the runs directory does not exist.
var ErrNoRunsDir = errors.New("runs directory not found")

// runIDPattern is the charset of run ids: what pipeline's ids use
// (20261122T163255Z-1a2b3c4d) and nothing that could act as a path
// separator, a parent reference or a hidden file in an archive.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)

// ValidRunID reports whether id is a safe run id: 1 to 128 characters of
// [A-Za-z0-9_-], starting with a letter or digit. Run ids name directories
// and archive entries, so nothing else is accepted.
func ValidRunID(id string) bool { return runIDPattern.MatchString(id) }

// ReadRun reads dir/run.json. The record must decode as a Run, carry a
// valid id, and that id must be the directory's name (a record never speaks
// for another run). Errors name the file; decoding errors wrap ErrMalformed
// and give line and column. A missing file is an os.ErrNotExist error.
func ReadRun(dir string) (*Run, error) {
	p := filepath.Join(dir, RunFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var run Run
	if err := json.Unmarshal(b, &run); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", p, ErrMalformed, jsonerr.Describe(b, err, -1))
	}
	switch {
	case run.ID == "":
		return nil, fmt.Errorf("%s: %w: missing \"id\"", p, ErrMalformed)
	case !ValidRunID(run.ID):
		return nil, fmt.Errorf("%s: %w: invalid id %.80q (want [A-Za-z0-9_-], at most 128)", p, ErrMalformed, run.ID)
	case run.ID != filepath.Base(dir):
		return nil, fmt.Errorf("%s: %w: id %q is not the directory's name %q", p, ErrMalformed, run.ID, filepath.Base(dir))
	}
	return &run, nil
}

// WriteRun writes run.json into the run directory opened as root.
func WriteRun(root *os.Root, run *Run) error {
	b, err := MarshalRun(run)
	if err != nil {
		return err
	}
	return WriteFile(root, RunFile, b)
}

// MarshalRun is run.json exactly as WriteRun writes it (indented JSON and a
// newline), for a caller that needs its digest (run.json as the provenance
// subject of a run without outputs) before writing it with WriteFile.
func MarshalRun(run *Run) ([]byte, error) { return marshal(run) }

// ReadDecision reads dir/decision.json strictly: unknown members, wrong
// types and trailing data are errors wrapping ErrMalformed (the file is
// ours; anything else in it was not written by pinline).
func ReadDecision(dir string) (*Decision, error) {
	p := filepath.Join(dir, DecisionFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var d Decision
	if err := jsonerr.DecodeStrict(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", p, ErrMalformed, err)
	}
	return &d, nil
}

// WriteDecision writes decision.json into the run directory opened as
// root. Nil lists are written as [] so readers never see null.
func WriteDecision(root *os.Root, d *Decision) error {
	c := *d
	c.Violations = append([]Finding{}, c.Violations...)
	c.Warnings = append([]Finding{}, c.Warnings...)
	c.Waived = append([]WaivedFinding{}, c.Waived...)
	c.Gates = append([]string{}, c.Gates...)
	return writeJSON(root, DecisionFile, &c)
}

func writeJSON(root *os.Root, name string, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	return WriteFile(root, name, b)
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// WriteFile replaces name (slash-separated, relative to the run directory
// opened as root) with data: a temporary file in the same directory,
// synced, then renamed, all inside the root, which refuses any path or
// symlink leading out of it. Readers never see a partial file.
func WriteFile(root *os.Root, name string, data []byte) error {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(path.Dir(name), "."+path.Base(name)+".pinline-"+hex.EncodeToString(rnd[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = root.Rename(tmp, name)
	}
	if werr != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, werr)
	}
	return nil
}

// RunDirs lists the run directories under runsDir, sorted by name. A
// missing runsDir is an error wrapping ErrNoRunsDir.
func RunDirs(runsDir string) ([]string, error) {
	ents, err := os.ReadDir(runsDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNoRunsDir, runsDir)
		}
		return nil, fmt.Errorf("read runs directory: %w", err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(runsDir, e.Name()))
		}
	}
	return dirs, nil
}

// ListRuns reads every run.json under runsDir (ReadRun), newest first. A
// missing runsDir lists nothing. Directories without a readable record are
// returned as errors joined together, after the records that could be read.
func ListRuns(runsDir string) ([]Run, error) {
	dirs, err := RunDirs(runsDir)
	if errors.Is(err, ErrNoRunsDir) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var runs []Run
	var errs []error
	for _, d := range dirs {
		r, err := ReadRun(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		runs = append(runs, *r)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].ID > runs[j].ID })
	return runs, errors.Join(errs...)
}

// SBOMName is the run's SBOM file relative to its directory: the name
// run.json gives when it stays inside the directory, else SBOMFile.
func (r *Run) SBOMName() string { return localOr(r.Evidence.SBOM, SBOMFile) }

// ProvenanceName is the run's DSSE provenance file (see SBOMName).
func (r *Run) ProvenanceName() string { return localOr(r.Evidence.Provenance, ProvenanceFile) }

// BundleName is the run's sigstore bundle file (see SBOMName).
func (r *Run) BundleName() string { return localOr(r.Evidence.Bundle, BundleFile) }

func localOr(name, def string) string {
	if name != "" && filepath.IsLocal(name) {
		return name
	}
	return def
}
