package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"dagger.io/dagger"
	"go.opentelemetry.io/otel/trace"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// daggerBackend runs tasks as containers on the engine.
type daggerBackend struct {
	c       *dagger.Client
	s       *session
	o       *Options
	secrets map[string]map[string]string // task -> secret name -> value
	out     *exporter
	// pushes are the tasks' pushes as the operator allows them (by task
	// instance); runID makes every push exec new to the engine's cache.
	pushes map[string]pushTarget
	runID  string
	// calls is set instead of c and s for a run of module calls only: its
	// session connects while the calls run (see callSession).
	calls *callSession
	// regAuth are the operator's registry credentials by host.
	regAuth map[string]registryCred
	// red scrubs the live output (Options.Output).
	red *redactor
}

// cacheVolume is the tier-scoped engine volume <tier>/<scope>/<name> a
// task's cache reads: its own tier's, or in snapshot mode with
// SnapshotFrom that tier's (mounted through a copy). checkCaches validated
// the names against o.Tier; SnapshotFrom comes from the gateway, so an
// invalid one is an error here, never an empty (shared) volume name.
func cacheVolume(o *Options, name string) (string, error) {
	tier := o.Tier
	if o.CacheMode == CacheModeSnapshot && o.SnapshotFrom != "" {
		tier = o.SnapshotFrom
	}
	return engineconfig.CacheVolume(tier, o.CacheScope, name)
}

// checkCaches validates every cache name of the plan against the tier and
// scope (engineconfig.CacheVolume rules).
func checkCaches(s *spec.Spec, p *plan, tier, scope string) error {
	for _, n := range p.order {
		for _, c := range n.task.Cache {
			if _, err := engineconfig.CacheVolume(tier, scope, c.Name); err != nil {
				return specErr(s, c.Pos, "%v", err)
			}
		}
	}
	return nil
}

func sharingMode(s string) (dagger.CacheSharingMode, error) {
	switch s {
	case "", "shared":
		return dagger.CacheSharingModeShared, nil
	case "private":
		return dagger.CacheSharingModePrivate, nil
	case "locked":
		return dagger.CacheSharingModeLocked, nil
	}
	return "", fmt.Errorf("sharing must be shared, private or locked, not %q", s)
}

func (b *daggerBackend) exec(ctx context.Context, n *node, prev any) outcome {
	t := n.task
	if t.Call != nil {
		return b.call(ctx, n)
	}
	var ctr *dagger.Container
	if t.From != "" {
		p, ok := prev.(*dagger.Container)
		if !ok {
			return outcome{status: record.StatusFailed, exitCode: -1, err: fmt.Errorf("from %q: no container", t.From)}
		}
		ctr = p
	} else {
		ctr = b.c.Container().From(n.image)
	}
	for _, m := range t.Mounts {
		// The path the gate approved (PL011 follows symlinks the same
		// way), resolved again now: the upload reads the real path, and
		// never one outside the repository.
		src, inside := inventory.ResolveIn(b.o.Root, m.Source)
		if !inside {
			return outcome{status: record.StatusFailed, exitCode: -1,
				err: fmt.Errorf("mount %s: source %q resolves to %q, outside the repository", m.Target, m.Source, src)}
		}
		dir := b.c.Host().Directory(src, dagger.HostDirectoryOpts{Include: m.Include, Exclude: m.Exclude})
		ctr = ctr.WithMountedDirectory(m.Target, dir)
	}
	for _, c := range t.Cache {
		mode, _ := sharingMode(c.Sharing) // validated by newPlan
		volName, err := cacheVolume(b.o, c.Name)
		if err != nil {
			return outcome{status: record.StatusFailed, exitCode: -1, err: err}
		}
		vol := b.c.CacheVolume(volName)
		if b.o.CacheMode == CacheModeSnapshot {
			copier := ctr
			if b.o.SnapshotFrom != "" {
				// Another tier's volume: the copy step runs in the pinned
				// snapshot image, never in an image the spec chose.
				copier = b.c.Container().From(b.o.SnapshotImage)
			}
			// Copy-on-write snapshot: the task sees the volume's content but
			// its writes land in its own layer, never in the volume.
			snap := copier.WithMountedCache("/.pinline-cache-src", vol, dagger.ContainerWithMountedCacheOpts{Sharing: dagger.CacheSharingModeShared}).
				WithExec([]string{"sh", "-c", "mkdir -p /.pinline-snap && cp -a /.pinline-cache-src/. /.pinline-snap/"}).
				Directory("/.pinline-snap")
			ctr = ctr.WithMountedDirectory(c.Path, snap)
			continue
		}
		ctr = ctr.WithMountedCache(c.Path, vol, dagger.ContainerWithMountedCacheOpts{Sharing: mode})
	}
	for _, k := range slices.Sorted(maps.Keys(t.Env)) {
		ctr = ctr.WithEnvVariable(k, t.Env[k])
	}
	for _, s := range t.Secrets {
		sec := b.c.SetSecret(secretID(t.Name, s.Name), b.secrets[t.Name][s.Name])
		if s.Env != "" {
			ctr = ctr.WithSecretVariable(s.Env, sec)
		} else {
			ctr = ctr.WithMountedSecret(s.Path, sec)
		}
	}
	if t.Workdir != "" {
		ctr = ctr.WithWorkdir(t.Workdir)
	}
	if t.User != "" {
		ctr = ctr.WithUser(t.User)
	}
	ctr = b.withServices(ctr, n)
	ctr = ctr.WithExec(command(t))

	// The evaluation runs in a trace of its own, so that the engine's
	// spans tell whether this exec was served from the cache.
	var tid trace.TraceID
	syncCtx := ctx
	if b.s != nil && b.s.spans != nil {
		if tctx, id, err := b.s.spans.newTrace(ctx); err == nil {
			syncCtx, tid = tctx, id
			if b.o.Output != nil && b.red != nil {
				b.s.spans.startLive(tid, t.Name, b.red, b.o.Output)
				// Before the task's final event: nothing of it is
				// delivered after.
				defer b.s.spans.endLive(tid)
			}
		}
	}
	synced, err := ctr.Sync(syncCtx)
	if err != nil {
		f := b.failure(ctx, err)
		f.trace = tid
		return f
	}
	res := outcome{status: record.StatusSucceeded, trace: tid}
	// Both streams of the finished exec, read concurrently (two queries,
	// one round trip of latency).
	var errOut error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res.stderr, errOut = synced.Stderr(ctx)
	}()
	res.stdout, err = synced.Stdout(ctx)
	<-done
	if err == nil {
		err = errOut
	}
	if err != nil {
		return b.failure(ctx, err)
	}
	// Secrets belong to the task that declares them: tasks continuing from
	// this one and images published from it do not inherit them.
	next := synced
	for _, s := range t.Secrets {
		if s.Env != "" {
			next = next.WithoutSecretVariable(s.Env)
		} else {
			next = next.WithoutMount(s.Path)
		}
	}
	for _, o := range t.Outputs {
		if o.Type == spec.OutputImage {
			pub, err := b.publish(ctx, t.Name, o, next)
			if err != nil {
				f := b.failure(ctx, err)
				f.stdout, f.stderr, f.exitCode = res.stdout, res.stderr, 0
				f.trace = tid
				return f
			}
			res.published = append(res.published, pub)
			continue
		}
		out, err := b.out.export(ctx, t.Name, o, func(ctx context.Context, st staging) error {
			// The engine's export writes st.abs, a fresh directory
			// entry under .staging (created through the run directory's
			// root, never an output's destination).
			var err error
			if o.Type == "dir" {
				_, err = synced.Directory(o.Path).Export(ctx, st.abs)
			} else {
				_, err = synced.File(o.Path).Export(ctx, st.abs)
			}
			return err
		})
		if err != nil {
			f := b.failure(ctx, err)
			f.stdout, f.stderr, f.exitCode = res.stdout, res.stderr, 0
			f.trace = tid
			return f
		}
		res.outputs = append(res.outputs, out)
	}
	if t.Push != nil {
		out, log, err := b.push(ctx, n, synced)
		if log != "" {
			res.stdout += "\n--- push ---\n" + log
		}
		if err != nil {
			f := b.failure(ctx, err)
			f.stdout, f.stderr = res.stdout+"\n--- push ---\n"+f.stdout, res.stderr+f.stderr
			f.trace = tid
			return f
		}
		res.outputs = append(res.outputs, out)
	}
	res.state = next
	return res
}

// failure classifies an error of a task's evaluation.
func (b *daggerBackend) failure(ctx context.Context, err error) outcome {
	var ee *dagger.ExecError
	if errors.As(err, &ee) {
		return outcome{status: record.StatusFailed, exitCode: ee.ExitCode, stdout: ee.Stdout, stderr: ee.Stderr,
			err: fmt.Errorf("exit code %d", ee.ExitCode)}
	}
	res := outcome{status: record.StatusFailed, exitCode: -1, err: err}
	// A run cancelled while probing is interrupted, not an engine failure.
	if ctx.Err() == nil && !b.s.alive(ctx, b.o.Engine.Address) && ctx.Err() == nil {
		res.engineGone = true
		res.err = fmt.Errorf("engine went away: %w", err)
	}
	return res
}

func secretID(task, name string) string { return "pinline." + task + "." + name }
