package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/pinline/pinline/record"
)

// newRecord starts run.json for a plan.
func newRecord(o *Options, p *plan) *record.Run {
	now := o.Now().UTC()
	rec := &record.Run{
		Schema:    record.SchemaVersion,
		ID:        o.RunID,
		Status:    record.StatusRunning,
		StartedAt: now,
		Who:       o.Who,
		Tier:      o.Tier,
		BuilderID: o.BuilderID,
		CacheMode: o.CacheMode,
		Repository: record.Repository{
			Root: o.Root,
		},
		Engine:    record.Engine{Endpoint: record.Endpoint{Backend: o.Backend}},
		Requested: append([]string{}, o.Tasks...),
		Tasks:     []record.Task{},
		Outputs:   []record.Output{},
		Images:    []record.Image{},
		Modules:   []record.Module{},
		Service:   o.Service,
	}
	if rec.ID == "" {
		rec.ID = NewRunID(now)
	}
	if o.Backend == BackendDagger {
		rec.Engine.Address = o.Engine.Address
		rec.Engine.Gateway = o.Engine.Gateway
		rec.Engine.GatewayCacheMode = o.Engine.GatewayCacheMode
		rec.Engine.GatewaySession = o.Engine.GatewaySession
		rec.Engine.NativeTLS, rec.Engine.TierUnverified = o.Engine.NativeTLS, o.Engine.TierUnverified
	}
	if b, err := os.ReadFile(o.Spec.Path); err == nil {
		rec.Spec = record.SpecRef{Path: relTo(o.Root, o.Spec.Path), SHA256: sha256Hex(b)}
	}
	seen := map[string]bool{}
	for _, n := range p.order {
		t := n.task
		rt := record.Task{Name: t.Name, Status: record.StatusSkipped, ExitCode: -1, From: t.From,
			Command: command(t), Workdir: t.Workdir, Caches: []record.CacheUse{}, DependsOn: append([]string{}, n.deps...)}
		if t.Call != nil {
			rt.Command = callCommand(t.Call)
		} else if t.From == "" {
			rt.Image = n.image
			if !seen[n.image] {
				seen[n.image] = true
				rec.Images = append(rec.Images, record.Image{Name: imageName(o, t.Image), Ref: n.image, Digest: refDigest(n.image)})
			}
		}
		rt.EnvKeys = slices.Sorted(maps.Keys(t.Env))
		if len(n.values) > 0 {
			rt.MatrixOf = n.base
			for _, v := range n.values {
				rt.Matrix = append(rt.Matrix, record.MatrixValue(v))
			}
		}
		for _, sv := range n.services {
			rt.Services = append(rt.Services, sv.Name)
		}
		for _, c := range t.Cache {
			sharing := c.Sharing
			if sharing == "" {
				sharing = "shared"
			}
			vol, _ := cacheVolume(o, c.Name) // "" when invalid: the task then fails
			rt.Caches = append(rt.Caches, record.CacheUse{Name: c.Name, Volume: vol,
				Path: c.Path, Sharing: sharing, Mode: o.CacheMode})
		}
		rec.Tasks = append(rec.Tasks, rt)
	}
	recordServices(o, p, rec, seen)
	return rec
}

func imageName(o *Options, name string) string {
	if name == "" {
		return o.Spec.DefaultImage
	}
	return name
}

func refDigest(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ""
}

func relTo(root, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(root, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return abs
}

// NewRunID is sortable by time and unique: 20261122T163255Z-1a2b3c4d.
func NewRunID(now interface{ Format(string) string }) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// gitSafety are the options every git call on a repository carries: the
// repository is the tenant's, and a git directory committed inside it (a
// "bare repository" in the tree, with its own config) could otherwise make
// git run commands on the host (core.fsmonitor, hooks) as soon as pinline
// asks for the commit, whatever the tier and before the gate's verdict.
var gitSafety = []string{"-c", "safe.bareRepository=explicit", "-c", "core.fsmonitor=false",
	"-c", "core.hooksPath=/dev/null"}

// GitSafety returns a copy of the options every git call pinline makes on
// a tenant's repository carries (see gitSafety); `pinline serve` fetches
// with them too.
func GitSafety() []string { return append([]string{}, gitSafety...) }

// gitInfo reads the commit, dirtiness and origin URL of the repository,
// when it is a git checkout and git is installed; otherwise empty. git
// runs with the minimal environment (never signing material).
func gitInfo(ctx context.Context, root string, hostEnv []string) (commit string, dirty bool, uri string) {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", append(append(append([]string{}, gitSafety...), "-C", root), args...)...)
		cmd.Env = minimalEnv(hostEnv)
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	// The three are independent: they run at once (a call's child waits
	// for them).
	var st string
	var stErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); st, stErr = git("status", "--porcelain", "--untracked-files=no") }()
	go func() { defer wg.Done(); uri, _ = git("config", "--get", "remote.origin.url") }()
	c, err := git("rev-parse", "HEAD")
	wg.Wait()
	if err != nil {
		return "", false, ""
	}
	return c, stErr != nil || st != "", uri
}

// noteGatewayEngine records the engine the gateway placed the run's
// session on, once the forwarder knows it.
func noteGatewayEngine(o *Options, rec *record.Run) {
	if o.Engine.GatewayEngine != nil {
		rec.Engine.GatewayEngine = o.Engine.GatewayEngine()
	}
}
