package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/internal/atomicfile"
	"github.com/pinline/pinline/record"
)

// Layout of the store: records in <store>/.pinline/runs/<id>/ (as `pinline
// run` writes them), the server's state in <store>/.pinline/serve/, fresh
// workspaces in <store>/.pinline/work/ (removed after each run).
func runsDir(store string) string  { return filepath.Join(store, ".pinline", "runs") }
func stateDir(store string) string { return filepath.Join(store, ".pinline", "serve") }
func workDir(store string) string  { return filepath.Join(store, ".pinline", "work") }

func (s *Server) statePath(id string) string { return filepath.Join(stateDir(s.cfg.Store), id+".json") }
func (s *Server) eventsPath(id string) string {
	return filepath.Join(stateDir(s.cfg.Store), id+".events.jsonl")
}

// saveState writes the run's state file atomically.
func (s *Server) saveState(st *RunStatus) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(s.statePath(st.ID), append(b, '\n'), 0o644)
}

// appendEvent appends one event line to the run's event file.
func (s *Server) appendEvent(id string, e *Event) {
	f, err := os.OpenFile(s.eventsPath(id), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err == nil {
		err = json.NewEncoder(f).Encode(e)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(s.opts.Log, "pinline serve: run %s: events file: %v\n", id, err)
	}
}

// storedEvents calls fn for each event of the run's events file after
// sequence number from, in order, until fn returns false or the file
// ends (a last line still being written is not an event yet). It returns
// the sequence number of the last event passed.
func (s *Server) storedEvents(id string, from int, fn func(Event) bool) (int, error) {
	f, err := os.Open(s.eventsPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return from, nil
	}
	if err != nil {
		return from, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 8<<20)
	for sc.Scan() {
		var e Event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			break
		}
		if e.Seq <= from {
			continue
		}
		if e.Seq != from+1 {
			return from, fmt.Errorf("events file of run %s: event %d follows %d", id, e.Seq, from)
		}
		from = e.Seq
		if !fn(e) {
			break
		}
	}
	return from, sc.Err()
}

// recoverState loads every run the store knows. A run that was queued or
// running when the server stopped is marked failed; its record, if any,
// is rewritten as failed with no provenance (a signature made before the
// crash, with the record not final, is moved away, never served). Left
// over workspaces are removed.
func (s *Server) recoverState() error {
	for _, d := range []string{runsDir(s.cfg.Store), stateDir(s.cfg.Store), workDir(s.cfg.Store)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	ents, err := os.ReadDir(workDir(s.cfg.Store))
	if err != nil {
		return err
	}
	for _, e := range ents {
		_ = os.RemoveAll(filepath.Join(workDir(s.cfg.Store), e.Name()))
	}
	ents, err = os.ReadDir(stateDir(s.cfg.Store))
	if err != nil {
		return err
	}
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !record.ValidRunID(id) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(stateDir(s.cfg.Store), e.Name()))
		if err != nil {
			return err
		}
		var st RunStatus
		if err := json.Unmarshal(b, &st); err != nil || st.ID != id {
			return fmt.Errorf("state file %s: malformed", e.Name())
		}
		r := &run{status: st, notify: make(chan struct{})}
		if err := s.loadTail(r); err != nil {
			return err
		}
		if !Final(st.State) && s.adoptRecord(&r.status) {
			if err := s.saveState(&r.status); err != nil {
				return err
			}
			st := r.status
			r.addEvent(s, Event{Type: "done", Run: &st})
		}
		if !Final(r.status.State) {
			was := st.State
			r.status.State, r.status.ExitCode, r.status.Signed, r.status.Position = StateFailed, 3, false, 0
			r.status.Error = fmt.Sprintf("interrupted: the server stopped while the run was %s", was)
			r.status.FinishedAt = s.now().UTC()
			if err := s.failRecord(id, r.status.Error); err != nil {
				return fmt.Errorf("run %s: %w", id, err)
			}
			if err := s.saveState(&r.status); err != nil {
				return err
			}
			st := r.status
			r.addEvent(s, Event{Type: "done", Run: &st})
		}
		s.runs[id] = r
	}
	return nil
}

// adoptRecord finishes the state of a run the server stopped during,
// when its run.json is already final: a finished record is never lost.
// A succeeded record is adopted only when its provenance verifies with
// the tier's key (a crash between writing the record and signing leaves
// an unverifiable one, which is then failed like any interrupted run).
func (s *Server) adoptRecord(st *RunStatus) bool {
	dir := filepath.Join(runsDir(s.cfg.Store), st.ID)
	rec, err := record.ReadRun(dir)
	if err != nil || rec.ID != st.ID {
		return false
	}
	switch rec.Status {
	case record.StatusSucceeded:
		ts := s.tiers[st.Tier]
		if ts == nil || !rec.Evidence.Signed || rec.Evidence.KeyRef != ts.keyID || !s.verifies(ts, dir, rec) {
			return false
		}
		st.State, st.ExitCode, st.Signed, st.SignerKeyID = StateSucceeded, 0, true, ts.keyID
	case record.StatusDenied:
		st.State, st.ExitCode = StateDenied, 1
	case record.StatusInterrupted:
		st.State, st.ExitCode = StateInterrupted, 1
	case record.StatusFailed:
		st.State, st.ExitCode = StateFailed, 1
	default:
		return false
	}
	st.Position, st.Error = 0, rec.Error
	st.FinishedAt = rec.FinishedAt
	return true
}

// verifies checks the run's provenance against the tier's public key.
func (s *Server) verifies(ts *tierState, dir string, rec *record.Run) bool {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return false
	}
	defer root.Close()
	b, err := root.ReadFile(rec.ProvenanceName())
	if err != nil {
		return false
	}
	env, err := attest.ParseEnvelope(b)
	if err != nil {
		return false
	}
	v, err := attest.NewVerifier(ts.signer.PublicKey(), ts.Name)
	if err != nil {
		return false
	}
	_, err = env.Verify(context.Background(), []attest.Verifier{v})
	return err == nil
}

// failRecord marks an interrupted run's run.json failed and moves any
// provenance away: the run never finished, so nothing of it is signed.
func (s *Server) failRecord(id, msg string) error {
	dir := filepath.Join(runsDir(s.cfg.Store), id)
	rec, err := record.ReadRun(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return nil // an unreadable record is not served as done either
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range []string{record.ProvenanceFile, record.BundleFile} {
		if _, err := root.Lstat(f); err == nil {
			if err := root.Rename(f, f+".unsigned-interrupted"); err != nil {
				return err
			}
		}
	}
	rec.Status, rec.Error = record.StatusFailed, msg
	if rec.FinishedAt.IsZero() {
		rec.FinishedAt = s.now().UTC()
	}
	rec.Evidence.Provenance, rec.Evidence.ProvenanceSHA256, rec.Evidence.Bundle = "", "", ""
	rec.Evidence.Signed, rec.Evidence.KeyRef = false, ""
	return record.WriteRun(root, rec)
}

// loadTail reads the sequence number and the in-memory tail of a run's
// stored events.
func (s *Server) loadTail(r *run) error {
	_, err := s.storedEvents(r.status.ID, 0, func(e Event) bool {
		r.seq = e.Seq
		r.events = append(r.events, e)
		if len(r.events) > 2*tailEvents {
			r.events = slices.Clone(r.events[len(r.events)-tailEvents:])
		}
		return true
	})
	return err
}
