package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pinline/pinline/gateway"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
)

// Tests against the engine fleet of hack/setup.d/55-fleet-engines.sh: one
// tier "fleet" with three real engines behind two `pinline engine
// gateway` replicas, reached through a plain round-robin TCP load
// balancer (each connection of a run may hit either replica).

type fleetFixture struct {
	dir, lb  string
	socks    []string
	inst     []string // name,network,cidr of each engine (hack/engine.sh)
	audits   []string
	metrics  []string
	env      map[string]string
	busybox  string
	script   string
	interval time.Duration
	ended    atomic.Int32 // runs of the current batch that returned
}

func startFleetFixture(t *testing.T) *fleetFixture {
	t.Helper()
	env := testenv.RequireAll(t, "hack/setup.d/55-fleet-engines.sh", "PINLINE_FLEET_SOCKS", "PINLINE_FLEET_INSTANCES",
		"PINLINE_GW_DAGGER_CLI", "PINLINE_IMAGE_BUSYBOX", "PINLINE_ENGINE_SCRIPT")
	f := &fleetFixture{dir: t.TempDir(), socks: strings.Split(env["PINLINE_FLEET_SOCKS"], ":"),
		inst: strings.Split(env["PINLINE_FLEET_INSTANCES"], ":"), busybox: env["PINLINE_IMAGE_BUSYBOX"],
		script: env["PINLINE_ENGINE_SCRIPT"], interval: time.Second,
		env: map[string]string{EnvDaggerCLI.Name: env["PINLINE_GW_DAGGER_CLI"]}}
	if len(f.socks) != 3 || len(f.inst) != 3 {
		t.Fatalf("fleet: want 3 engines, got sockets %v instances %v", f.socks, f.inst)
	}
	gw := []string{freePort(t), freePort(t)}
	f.lb = startTCPBalancer(t, gw)
	if code, _, e := runCLICtx(context.Background(), nil, "engine", "certs", "-o", f.dir, "--gateway", f.lb,
		"--client", "ci:cn=ci-pr,ou=contributors"); code != 0 {
		t.Fatalf("certs: %s", e)
	}
	var backends []string
	for _, s := range f.socks {
		backends = append(backends, strconv.Quote("unix://"+s))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i, addr := range gw {
		m := freePort(t)
		cfg := fmt.Sprintf(`listen: %s
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
auditLog: audit-%d.jsonl
metricsListen: %s
adminSocket: admin-%d.sock
healthInterval: %s
healthTimeout: 2s
tiers:
  - {name: fleet, rank: 1, builderId: "https://pinline.dev/builders/fleet/v1", cacheMode: strong,
     backends: [%s], identities: [{field: ou, exact: contributors}]}
`, addr, i, m, i, f.interval, strings.Join(backends, ", "))
		path := filepath.Join(f.dir, fmt.Sprintf("gateway-%d.yaml", i))
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); runCLICtx(ctx, nil, "engine", "gateway", "--config", path) }()
		waitListening(t, addr)
		f.audits = append(f.audits, filepath.Join(f.dir, fmt.Sprintf("audit-%d.jsonl", i)))
		f.metrics = append(f.metrics, m)
	}
	return f
}

// startTCPBalancer forwards each accepted connection to the next backend
// in turn (a plain TCP load balancer: no TLS, no stickiness).
func startTCPBalancer(t *testing.T, backends []string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, err := net.Dial("tcp", backends[i%len(backends)])
				if err != nil {
					return
				}
				defer b.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(b, c); b.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				go func() { _, _ = io.Copy(c, b); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				<-done
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

type fleetRun struct {
	code     int
	stderr   string
	rec      record.Run
	duration time.Duration
	ended    time.Time
}

// runs starts n concurrent `pinline run`s whose only task runs sh and
// waits for all of them.
func (f *fleetFixture) runs(t *testing.T, n int, sh func(i int) string) []fleetRun {
	t.Helper()
	out := make([]fleetRun, n)
	f.ended.Store(0)
	var wg sync.WaitGroup
	for i := range n {
		dir := t.TempDir()
		spec := filepath.Join(dir, "pinline.yaml")
		body := fmt.Sprintf("version: 1\nname: fleet%d\nimages:\n  bb: %s\ntasks:\n  t:\n    image: bb\n    sh: %s\n", i, f.busybox, strconv.Quote(sh(i)))
		if err := os.WriteFile(spec, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			code, _, e := runCLICtx(context.Background(), f.env, "run", "-f", spec, "--engine-config",
				filepath.Join(f.dir, "engine-ci.json"), "--connect-timeout", "60s")
			out[i] = fleetRun{code: code, stderr: e, duration: time.Since(start), ended: time.Now()}
			f.ended.Add(1)
			recs, _ := filepath.Glob(filepath.Join(dir, ".pinline", "runs", "*", record.RunFile))
			if len(recs) == 1 {
				if b, err := os.ReadFile(recs[0]); err == nil {
					_ = json.Unmarshal(b, &out[i].rec)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// sessionEngines reads both replicas' audit logs: the engines each
// session's proxied connections reached.
func (f *fleetFixture) sessionEngines(t *testing.T) map[string]map[string]bool {
	t.Helper()
	time.Sleep(500 * time.Millisecond) // records are written when connections end
	out := map[string]map[string]bool{}
	for _, p := range f.audits {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var r gateway.AuditRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if r.Session == "" || r.Engine == "" {
				continue
			}
			if out[r.Session] == nil {
				out[r.Session] = map[string]bool{}
			}
			out[r.Session][r.Engine] = true
		}
		fh.Close()
	}
	return out
}

func TestFleetSessionAffinity(t *testing.T) {
	f := startFleetFixture(t)

	// 12 concurrent runs: all succeed, each session on one engine, spread
	// within ±1 over the three engines.
	res := f.runs(t, 12, func(i int) string { return fmt.Sprintf("echo fleet %d %d", i, time.Now().UnixNano()) })
	perEngine := map[string]int{}
	sessions := map[string]string{}
	for i, r := range res {
		if r.code != 0 {
			t.Errorf("run %d: exit %d\n%s", i, r.code, r.stderr)
			continue
		}
		e := r.rec.Engine
		if e.GatewaySession == "" || e.GatewayEngine == "" || r.rec.Status != record.StatusSucceeded {
			t.Errorf("run %d: record status %q engine %+v", i, r.rec.Status, e)
		}
		perEngine[e.GatewayEngine]++
		sessions[e.GatewaySession] = e.GatewayEngine
	}
	t.Logf("12 runs: sessions per engine %v", perEngine)
	for _, id := range []string{"fleet-0", "fleet-1", "fleet-2"} {
		if n := perEngine[id]; n < 3 || n > 5 {
			t.Errorf("sessions per engine %v, want 4 ±1 each", perEngine)
			break
		}
	}
	seen := f.sessionEngines(t)
	for s, e := range sessions {
		if len(seen[s]) != 1 || !seen[s][e] {
			t.Errorf("session %s recorded on %s, audit logs of both replicas show engines %v", s, e, seen[s])
		}
	}
	for i, m := range f.metrics {
		body := httpGet(t, "http://"+m+"/metrics")
		for _, want := range []string{`pinline_gateway_backend_up{engine="fleet-2",tier="fleet"} 1`, `pinline_gateway_backend_up{engine="fleet-0",tier="fleet"} 1`,
			`pinline_gateway_connections_total{engine="fleet-0",outcome="ok",tier="fleet"}`, "pinline_gateway_handshake_seconds_bucket"} {
			if !strings.Contains(body, want) {
				t.Errorf("replica %d /metrics lacks %s", i, want)
			}
		}
	}

	// The same with engine fleet-2 killed while every run's task sleeps:
	// exactly its sessions fail (exit 3, record failed), the rest finish.
	const victim = "fleet-2"
	inst := strings.Split(f.inst[2], ",")
	instDir := filepath.Dir(filepath.Dir(f.socks[2]))
	t.Cleanup(func() { f.restart(t, inst) })
	// Each task ends in a sleep of its own length (100+i s), found by a
	// process scan; the engine is killed once every run still going is in
	// its task, or after 60 s: no run can have slept its task out by then,
	// so every session on the victim is still open at the kill (under load
	// a session may not yet be at its task; it is placed, and fails, too).
	// Runs that ended before the kill are not judged.
	const base = 100
	killed := make(chan int, 1)
	var killedAt time.Time
	go func() {
		deadline := time.Now().Add(60 * time.Second)
		n := 0
		for time.Now().Before(deadline) && (n == 0 || n+int(f.ended.Load()) < 12) {
			time.Sleep(200 * time.Millisecond)
			n = 0
			for i := range 12 {
				if taskRuns(base + i) {
					n++
				}
			}
		}
		if pid := enginePID(t, instDir); pid > 0 {
			killedAt = time.Now()
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		killed <- n
	}()
	nonce := time.Now().UnixNano() // no run may be served from the engine cache
	res = f.runs(t, 12, func(i int) string { return fmt.Sprintf("echo run %d %d; sleep %d", i, nonce, base+i) })
	t.Logf("engine %s killed with %d of 12 tasks sleeping", victim, <-killed)
	if killedAt.IsZero() {
		t.Fatalf("engine %s was not killed", victim)
	}
	failed := 0
	var slowest time.Duration
	for i, r := range res {
		e := r.rec.Engine.GatewayEngine
		switch {
		case r.ended.Before(killedAt):
			t.Logf("run %d on %s ended before the kill (exit %d)", i, e, r.code)
		case e == victim:
			failed++
			slowest = max(slowest, r.ended.Sub(killedAt))
			named := strings.Contains(r.rec.Error, "session-engine-gone") || strings.Contains(r.rec.Error, "the engine went away")
			if r.code != ExitOperational || r.rec.Status != record.StatusFailed || !named {
				t.Errorf("run %d on the killed engine: exit %d, record %q %q", i, r.code, r.rec.Status, r.rec.Error)
			}
		case e == "":
			t.Errorf("run %d: no engine recorded (exit %d) %s", i, r.code, r.stderr)
		default:
			if r.code != 0 {
				t.Errorf("run %d on %s (alive): exit %d\n%s", i, e, r.code, r.stderr)
			}
		}
	}
	if failed == 0 {
		t.Error("no session was on the killed engine")
	}
	t.Logf("engine killed mid-load: %d of 12 runs were on it and failed, the last %s after the kill", failed, slowest)

	// New sessions avoid the dead engine once a health interval passed.
	time.Sleep(f.interval + time.Second)
	res = f.runs(t, 6, func(i int) string { return fmt.Sprintf("echo after %d %d", i, time.Now().UnixNano()) })
	for i, r := range res {
		if r.code != 0 || r.rec.Engine.GatewayEngine == victim {
			t.Errorf("run %d after the kill: exit %d on %q\n%s", i, r.code, r.rec.Engine.GatewayEngine, r.stderr)
		}
	}
}

// taskRuns reports whether the task ending in `sleep n` runs: its shell
// (`sh -c "…; sleep n"`) or the sleep itself is a process on this host.
func taskRuns(n int) bool {
	ms, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	shell, bare := fmt.Sprintf("; sleep %d\x00", n), fmt.Sprintf("sleep\x00%d\x00", n)
	for _, m := range ms {
		if b, err := os.ReadFile(m); err == nil && (strings.HasSuffix(string(b), shell) || string(b) == bare) {
			return true
		}
	}
	return false
}

// enginePID is the pid in instDir/engine.pid if that process is the
// engine of that instance (its --root is instDir/state); 0 otherwise, so
// a stale pid file never makes the test kill another process.
func enginePID(t *testing.T, instDir string) int {
	b, err := os.ReadFile(filepath.Join(instDir, "engine.pid"))
	if err != nil {
		t.Logf("engine pid: %v", err)
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "\x00--root\x00"+filepath.Join(instDir, "state")+"\x00") {
		t.Logf("pid %d is not the engine of %s", pid, instDir)
		return 0
	}
	return pid
}

// restart brings a killed fleet engine back (hack/engine.sh stop removes
// its orphaned containers, start starts it). The instance's socket and
// state follow from its name: the caller's PINLINE_ENGINE_SOCK (the
// default engine's) must not leak into it.
func (f *fleetFixture) restart(t *testing.T, inst []string) {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "PINLINE_ENGINE_") {
			env = append(env, kv)
		}
	}
	for _, arg := range []string{"stop", "start"} {
		cmd := exec.Command(f.script, arg)
		cmd.Env = append(env, "PINLINE_ENGINE_NAME="+inst[0], "PINLINE_ENGINE_NETWORK="+inst[1], "PINLINE_ENGINE_CIDR="+inst[2])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("engine.sh %s %s: %v\n%s", arg, inst[0], err, out)
		}
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
