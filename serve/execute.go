package serve

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/gateway"
	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/sbom"
	"github.com/pinline/pinline/spec"
)

// execute runs r through pipeline.Run, the code path of `pinline run`,
// with the tier's operator material, and records the outcome.
func (s *Server) execute(ctx context.Context, ts *tierState, r *run) {
	res, err := s.runPipeline(ctx, ts, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &r.status
	st.FinishedAt = s.now().UTC()
	st.ExitCode = exitCode(err)
	if err != nil {
		st.Error = err.Error()
	}
	var rec *record.Run
	if res != nil {
		rec = res.Record
	}
	switch {
	case r.cancelled:
		st.State = StateCancelled
	case rec == nil:
		st.State = StateFailed
	case rec.Status == record.StatusSucceeded && err == nil:
		st.State = StateSucceeded
	case rec.Status == record.StatusDenied:
		st.State = StateDenied
	case rec.Status == record.StatusInterrupted:
		st.State = StateInterrupted
	default:
		st.State = StateFailed
	}
	if st.State == StateSucceeded && st.ExitCode != 0 {
		st.State = StateFailed
	}
	// Signed only when this server's signature is recorded for a
	// succeeded run.
	st.Signed = st.State == StateSucceeded && rec.Evidence.Signed && rec.Evidence.KeyRef == ts.keyID
	if st.State == StateSucceeded && !st.Signed {
		st.State, st.ExitCode, st.Error = StateFailed, 3, "the run succeeded but its provenance was not signed"
	}
	if st.Signed {
		st.SignerKeyID = ts.keyID
	}
	if r.workspace != "" {
		_ = os.RemoveAll(r.workspace)
		r.workspace = ""
	}
	if err := s.saveState(st); err != nil {
		fmt.Fprintf(s.opts.Log, "pinline serve: run %s: state: %v\n", st.ID, err)
	}
	final := *st
	r.addEvent(s, Event{Type: "done", Run: &final})
	ts.running--
	s.schedule(ts)
}

// exitCode is `pinline run`'s exit code for err (errclass.Code: an
// unclassified error is operational, 3).
func exitCode(err error) int {
	code, _ := errclass.Code(err)
	return code
}

func (s *Server) runPipeline(ctx context.Context, ts *tierState, r *run) (*pipeline.Result, error) {
	sp, err := spec.Load(r.specFile)
	if err != nil {
		return nil, err
	}
	st := r.status
	host, _ := os.Hostname()
	opts := pipeline.Options{
		Spec: sp, Root: r.root, RunsDir: runsDir(s.cfg.Store), RunID: st.ID, Tasks: st.Tasks,
		Tier: ts.Name, BuilderID: ts.BuilderID, Timeout: ts.Timeout,
		Who:       record.Who{User: "pinline-serve", Host: host, Identity: st.Identity, Fingerprint: st.Fingerprint},
		Secrets:   ts.secrets,
		LookupEnv: s.opts.LookupEnv,
		HostEnv:   os.Environ(),
		Home:      filepath.Dir(r.root), // the workspace: nothing of the server's home
		Gate:      pipeline.PolicyGate{UserDirs: ts.Policy.Dirs, ConfigFile: ts.Policy.Data},
		SBOM:      pipeline.CycloneDX{Options: sbom.Options{ToolVersion: s.opts.Version}},
		Attester:  pipeline.SignedProvenance{Signer: ts.signer, KeyRef: ts.keyID, Version: s.opts.Version},
		Progress:  func(e pipeline.Event) { s.progress(r, e) },
		Output:    func(task, stream, text string) { s.output(r, task, stream, text) },
		Log:       s.opts.Log,
		Now:       s.opts.Now,
	}
	engine := ts.Engine.Address
	opts.Engine = pipeline.Engine{Address: ts.Engine.Address, CLI: s.cfg.DaggerCLI, Env: os.Environ()}
	if ts.Engine.Config != "" {
		stop, err := s.viaGateway(ctx, ts, &opts)
		if err != nil {
			return nil, err
		}
		defer stop()
		engine = opts.Engine.Gateway
	}
	opts.Service = &record.ServerRun{Repository: st.Repository, Commit: st.Commit, SpecPath: st.Spec, Tasks: st.Tasks,
		Tier: ts.Name, Engine: engine, ServerVersion: s.opts.Version, SignerKeyID: ts.keyID}
	res, err := pipeline.Run(ctx, opts)
	if res != nil && err == nil {
		if n, serr := dirSize(res.Dir); serr != nil || n > s.cfg.MaxOutputBytes {
			err = errclass.Wrap(errclass.ErrDenied, fmt.Errorf("the run left %d bytes in its run directory, over the server's limit of %d", n, s.cfg.MaxOutputBytes))
			_ = s.failRecord(st.ID, err.Error())
			res.Record.Status = record.StatusFailed
		}
	}
	return res, err
}

// viaGateway reaches the tier's engine through the mTLS gateway its
// engine.json names, with an in-process forwarder. The server's
// configuration, not the gateway's announcement, decides tier and
// builder id; the gateway's tier must be the same name.
func (s *Server) viaGateway(ctx context.Context, ts *tierState, opts *pipeline.Options) (func(), error) {
	cfg, err := engineconfig.LoadClient(ts.Engine.Config)
	if err != nil {
		return nil, err
	}
	if !cfg.MTLS() {
		opts.Engine.Address = cfg.Engine.Address
		return func() {}, nil
	}
	d, err := gateway.NewDialer(cfg, s.now())
	if err != nil {
		return nil, err
	}
	d.Tier = ts.Name
	fwd, err := gateway.StartForwarder(ctx, d, "")
	if err != nil {
		return nil, errclass.Wrap(errclass.ErrOperational, err)
	}
	a := fwd.Announced()
	if a.EngineNative || a.Tier != ts.Name {
		_ = fwd.Close()
		return nil, errclass.Wrap(errclass.ErrOperational, fmt.Errorf("tier %q: the gateway of %s announced tier %q (engine-native %v)", ts.Name, d.Address, a.Tier, a.EngineNative))
	}
	pipeline.UseGateway(opts, fwd, d.Address)
	return func() { _ = fwd.Close() }, nil
}

// progress turns a pipeline event into API events; a finished task's log
// follows its status.
func (s *Server) progress(r *run, e pipeline.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := Event{Type: "task", Task: e.Task, Status: e.Status}
	if e.Status != record.StatusRunning {
		code := e.ExitCode
		ev.ExitCode = &code
	}
	r.addEvent(s, ev)
	if e.Status == record.StatusRunning {
		return
	}
	dir := filepath.Join(runsDir(s.cfg.Store), r.status.ID)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return
	}
	defer root.Close()
	b, err := root.ReadFile(filepath.Join(record.LogDir, e.Task+".log"))
	if err != nil {
		return
	}
	const chunk = 32 << 10
	const maxStream = 1 << 20 // the whole log is in the run's files
	if len(b) > maxStream {
		b = append(b[:maxStream:maxStream], []byte("\n[log truncated in the stream; download logs/"+e.Task+".log]\n")...)
	}
	for len(b) > 0 {
		n := min(chunk, len(b))
		r.addEvent(s, Event{Type: "log", Task: e.Task, Data: string(b[:n])})
		b = b[n:]
	}
}

// maxLiveRunBytes bounds the live output one run leaves in its events
// (the tasks' logs have all of it).
const maxLiveRunBytes = 8 << 20

// output turns a task's live output into an output event.
func (s *Server) output(r *run, task, stream, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.liveBytes >= maxLiveRunBytes {
		return
	}
	r.liveBytes += len(text)
	if r.liveBytes >= maxLiveRunBytes {
		text = "[live output of this run truncated; the tasks' logs have the rest]\n"
	}
	r.addEvent(s, Event{Type: "output", Task: task, Stream: stream, Data: text})
}

// dirSize is the bytes of regular files under dir (symlinks not followed).
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}
