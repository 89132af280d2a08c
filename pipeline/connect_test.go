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

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// countingListener counts the connections anyone makes to a unix socket.
func countingListener(t *testing.T, hang bool) (addr string, accepted *atomic.Int32) {
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

func TestUnreachableEngineFailsFast(t *testing.T) {
	t.Parallel()
	cli := os.Getenv("PINLINE_DAGGER_CLI")
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := "tcp://" + closed.Addr().String()
	closed.Close()
	hung, _ := countingListener(t, true)
	tests := []struct {
		name    string
		addr    string
		needCLI bool
		max     time.Duration
	}{
		{"missing unix socket", "unix:///nonexistent/pinline/engine.sock", false, 2 * time.Second},
		{"closed tcp port", closedAddr, false, 2 * time.Second},
		{"engine that never answers", hung, true, 15 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := "/nonexistent/dagger-must-not-run"
			if tc.needCLI {
				if cli == "" {
					if os.Getenv("CI") != "" {
						t.Fatal("PINLINE_DAGGER_CLI not set in CI")
					}
					t.Skip("PINLINE_DAGGER_CLI not set")
				}
				bin = cli
			} else {
				// A missing socket must fail before any CLI is started.
				bin = "/nonexistent/dagger-must-not-run"
			}
			root := t.TempDir()
			start := time.Now()
			res, err := Run(context.Background(), Options{Spec: testSpec(task("a")), Root: root, Tier: "local",
				Engine: Engine{Address: tc.addr, CLI: bin, Env: os.Environ(), ConnectTimeout: 3 * time.Second},
				Gate:   PolicyGate{}})
			took := time.Since(start)
			if !errors.Is(err, ErrEngine) {
				t.Fatalf("err = %v, want ErrEngine", err)
			}
			if took > tc.max {
				t.Errorf("took %s, want < %s", took, tc.max)
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
