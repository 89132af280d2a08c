package pipeline

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// countingListener counts the connections anyone makes to a unix socket.
func countingListener(t testing.TB, hang bool) (addr string, accepted *atomic.Int32) {
	t.Helper()
	dir, err := os.MkdirTemp("", "pl-sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "engine.sock")
	ln, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = &atomic.Int32{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			if !hang {
				c.Close()
			}
			// hang: keep the connection open and never answer.
		}
	}()
	return "unix://" + p, accepted
}

func TestDeniedRunNeverConnects(t *testing.T) {
	t.Parallel()
	addr, accepted := countingListener(t, false)
	root := t.TempDir()
	s := &spec.Spec{Path: filepath.Join(root, "pinline.yaml"), Name: "d",
		Images: map[string]spec.Image{"bb": {Name: "bb", Ref: "busybox:latest", Pos: spec.Pos{Line: 4, Column: 7}}},
		Tasks:  []spec.Task{{Name: "a", Image: "bb", Run: []string{"true"}}}}
	for _, tc := range []struct {
		name    string
		s       *spec.Spec
		tier    string
		backend string
	}{
		{"unpinned image", s, "local", BackendDagger},
		{"host backend outside local", testSpec(task("a")), "ci", BackendHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), Options{Spec: tc.s, Root: root, Tier: tc.tier, Backend: tc.backend,
				Engine: Engine{Address: addr, CLI: "/nonexistent/dagger"}, Gate: PolicyGate{}, Attester: &recordingAttester{}})
			if !errors.Is(err, ErrDenied) {
				t.Fatalf("err = %v, want ErrDenied", err)
			}
			r := readRun(t, res.Dir)
			if r.Status != record.StatusDenied || r.Decision.Allow || r.Decision.Violations == 0 {
				t.Errorf("record status %s decision %+v", r.Status, r.Decision)
			}
			if _, err := os.Stat(filepath.Join(res.Dir, record.DecisionFile)); err != nil {
				t.Errorf("decision.json: %v", err)
			}
			for _, tk := range r.Tasks {
				if tk.Status != record.StatusSkipped {
					t.Errorf("task %s %s in a denied run", tk.Name, tk.Status)
				}
			}
		})
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("a denied run connected to the engine %d time(s)", n)
	}
}

// closedPort is the tcp:// address of a loopback port nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "tcp://" + ln.Addr().String()
	ln.Close()
	return addr
}

// TestUnreachableEngineFails: an engine that is missing, refuses or never
// answers ends the run with ErrEngine and a failed record, and leaves no
// session process behind.
func TestUnreachableEngineFails(t *testing.T) {
	t.Parallel()
	closedAddr := closedPort(t)
	hung, _ := countingListener(t, true)
	tests := []struct {
		name    string
		addr    string
		needCLI bool
	}{
		{"missing unix socket", "unix:///nonexistent/pinline/engine.sock", false},
		{"closed tcp port", closedAddr, false},
		{"engine that never answers", hung, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := "/nonexistent/dagger-must-not-run"
			if tc.needCLI {
				bin = testenv.Require(t, "PINLINE_DAGGER_CLI", "hack/setup.d/30-engine.sh")
			}
			// A missing socket must fail before any CLI is started. How
			// long failing takes is BenchmarkUnreachableEngine's; the
			// guard only stops a connect that never gives up.
			root := t.TempDir()
			ctx, stuck := testenv.HangGuard(t, "Run against "+tc.name)
			res, err := Run(ctx, Options{Spec: testSpec(task("a")), Root: root, Tier: "local",
				Engine: Engine{Address: tc.addr, CLI: bin, Env: os.Environ(), ConnectTimeout: 3 * time.Second},
				Gate:   PolicyGate{}})
			stuck()
			if !errors.Is(err, ErrEngine) {
				t.Fatalf("err = %v, want ErrEngine", err)
			}
			if r := readRun(t, res.Dir); r.Status != record.StatusFailed || !strings.Contains(r.Error, "engine") {
				t.Errorf("record %s %q", r.Status, r.Error)
			}
			if tc.needCLI {
				if pids := sessionsFor(tc.addr); len(pids) > 0 {
					t.Errorf("dagger session processes left running: %v", pids)
				}
			}
		})
	}
}

// sessionsFor lists processes whose environment names addr as the runner
// host: the dagger session children pinline started for it.
func sessionsFor(addr string) []string {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && strings.Contains(string(b), "_EXPERIMENTAL_DAGGER_RUNNER_HOST="+addr+"\x00") {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// TestAliveHonoursContext: alive confirms a live engine, but a context
// ending during its pauses between probes makes it return at once.
func TestAliveHonoursContext(t *testing.T) {
	t.Parallel()
	addr, _ := countingListener(t, false)
	ended := make(chan struct{})
	close(ended)
	tests := []struct {
		name    string
		addr    string
		done    chan struct{}
		timeout time.Duration // 0: never cancelled
		want    bool
		within  time.Duration
	}{
		{"engine up", addr, make(chan struct{}), 0, true, 10 * time.Second},
		{"cancelled while waiting", addr, make(chan struct{}), 20 * time.Millisecond, false, aliveInterval},
		{"session ended", addr, ended, 0, false, aliveInterval},
		{"no engine", "unix:///nonexistent/pinline/engine.sock", make(chan struct{}), 0, false, aliveInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			start := time.Now()
			got := (&session{done: tt.done}).alive(ctx, tt.addr)
			if took := time.Since(start); took >= tt.within {
				t.Errorf("alive took %s, want under %s", took, tt.within)
			}
			if got != tt.want {
				t.Errorf("alive = %v, want %v", got, tt.want)
			}
		})
	}
}

// BenchmarkUnreachableEngine is how long a run takes to give up on an
// engine that is missing, refuses, or accepts and never answers (bounded by
// ConnectTimeout, 3 s here): the timing TestUnreachableEngineFails does not
// assert.
//
//	go test -run XXX -bench BenchmarkUnreachableEngine -benchtime 3x ./pipeline
func BenchmarkUnreachableEngine(b *testing.B) {
	closedAddr := closedPort(b)
	hung, _ := countingListener(b, true)
	for _, bc := range []struct {
		name, addr string
		needCLI    bool
	}{
		{"missing-socket", "unix:///nonexistent/pinline/engine.sock", false},
		{"closed-port", closedAddr, false},
		{"never-answers", hung, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bin := "/nonexistent/dagger-must-not-run"
			if bc.needCLI {
				bin = testenv.Require(b, "PINLINE_DAGGER_CLI", "hack/setup.d/30-engine.sh")
			}
			for b.Loop() {
				_, err := Run(context.Background(), Options{Spec: testSpec(task("a")), Root: b.TempDir(), Tier: "local",
					Engine: Engine{Address: bc.addr, CLI: bin, Env: os.Environ(), ConnectTimeout: 3 * time.Second},
					Gate:   PolicyGate{}})
				if !errors.Is(err, ErrEngine) {
					b.Fatalf("err = %v, want ErrEngine", err)
				}
			}
		})
	}
}
