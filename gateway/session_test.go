package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
)

func TestRendezvousPlacement(t *testing.T) {
	t.Parallel()
	paths := []string{"/run/e1.sock", "/run/e2.sock", "/run/e3.sock"}
	a := newPool("t", paths, []string{"t-0", "t-1", "t-2"})
	// A replica listing the same engines in another order agrees.
	b := newPool("t", []string{paths[2], paths[0], paths[1]}, []string{"t-0", "t-1", "t-2"})
	const n = 3000
	count := map[string]int{}
	moved := 0
	for i := range n {
		key := fmt.Sprintf("%032x", i*7919)
		pa, pb := a.placement(key)[0], b.placement(key)[0]
		if pa.path != pb.path {
			t.Fatalf("session %s: replicas disagree: %s vs %s", key, pa.path, pb.path)
		}
		if again := a.placement(key)[0]; again != pa {
			t.Fatalf("session %s: placement not deterministic", key)
		}
		count[pa.path]++
		// Taking e2 out moves only e2's sessions.
		a.backends[1].down.Store(true)
		after := a.placement(key)[0]
		a.backends[1].down.Store(false)
		if pa.path != paths[1] && after != pa {
			moved++
		}
		if after.path == paths[1] {
			t.Fatalf("session %s placed on an engine that is down", key)
		}
	}
	for _, p := range paths {
		if c := count[p]; c < n/3*90/100 || c > n/3*110/100 {
			t.Errorf("engine %s got %d of %d sessions, want %d ±10%%", p, c, n, n/3)
		}
	}
	if moved != 0 {
		t.Errorf("%d sessions of healthy engines moved when another engine went down", moved)
	}
	// Draining: excluded from placement like a down engine, but a pinned
	// connection still reaches it (see TestDrainingAdminSocket).
	a.backends[0].draining.Store(true)
	for i := range 100 {
		for _, c := range a.placement(fmt.Sprintf("%032x", i)) {
			if c == a.backends[0] {
				t.Fatal("draining engine in a new session's placement")
			}
		}
	}
}

// fleet is three stand-in engines for one tier behind two gateway
// replicas sharing the configuration.
type fleet struct {
	paths    []string
	lns      []net.Listener
	replicas []*testGateway
	p        *pki
	cfg      *engineconfig.Gateway
}

func startFleet(t *testing.T) *fleet {
	t.Helper()
	p := newPKI(t)
	dir := sockDir(t, "fleet")
	f := &fleet{p: p}
	var backends []string
	for i := range 3 {
		name := fmt.Sprintf("E%d", i)
		path, ln := backendListener(t, dir, name)
		f.paths, f.lns = append(f.paths, path), append(f.lns, ln)
		backends = append(backends, fmt.Sprintf("%q", "unix://"+path))
	}
	y := `listen: 127.0.0.1:0
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
healthInterval: 100ms
healthTimeout: 100ms
tiers:
  - name: pr
    rank: 1
    builderId: https://pinline.dev/builders/pr/v1
    cacheMode: strong
    backends: [` + strings.Join(backends, ", ") + `]
    identities: [{field: ou, exact: contributors}]
`
	var err error
	f.cfg, err = engineconfig.ParseGateway([]byte(y), p.dir)
	if err != nil {
		t.Fatal(err)
	}
	f.replicas = []*testGateway{serveGateway(t, f.cfg), serveGateway(t, f.cfg)}
	return f
}

func (f *fleet) dialer(t *testing.T, replica int) *Dialer {
	cert := f.p.issue(t, "pr", f.p.ca, engineconfig.CertSpec{OU: []string{"contributors"}})
	return f.replicas[replica].dialer(f.p.clientTLS(t, &cert), "")
}

// TestSessionAffinityAcrossReplicas: sessions are placed by their first
// connection and every later one (naming the engine, through either
// replica) lands on the same engine; with sessions held open, placement
// through two replicas spreads 12 sessions within ±1 over three engines.
func TestSessionAffinityAcrossReplicas(t *testing.T) {
	t.Parallel()
	f := startFleet(t)
	ds := []*Dialer{f.dialer(t, 0), f.dialer(t, 1)}
	perEngine := map[string]int{}
	const sessions = 12
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range sessions {
		key, err := NewSessionKey()
		if err != nil {
			t.Fatal(err)
		}
		var engine, name string
		for j := range 4 { // connections alternate between the replicas
			d := ds[(i+j)%2]
			c, h, err := d.DialSession(context.Background(), key, engine)
			if err != nil {
				t.Fatalf("session %d connection %d: %v", i, j, err)
			}
			got := readBackend(t, c)
			if j == 0 {
				engine, name = h.Engine, got
				perEngine[got]++
			} else if h.Engine != engine || got != name {
				t.Fatalf("session %d connection %d on %s/%s, first on %s/%s", i, j, h.Engine, got, engine, name)
			}
			if j < 2 {
				held = append(held, c) // the session's long-lived connections
			} else {
				c.Close()
			}
		}
	}
	for _, e := range []string{"E0", "E1", "E2"} {
		if n := perEngine[e]; n < sessions/3-1 || n > sessions/3+1 {
			t.Errorf("sessions per engine %v, want %d ±1 each", perEngine, sessions/3)
			break
		}
	}
	// An unpinned connection of a session this replica has open joins it
	// (the same replica never splits a session).
	for _, r := range f.replicas[0].audit.waitRecords(t, sessions) {
		if r.Session == "" || r.Engine == "" || r.Outcome != OutcomeOK {
			t.Errorf("audit record without session/engine: %+v", r)
		}
	}
}

func TestUnpinnedConnectionJoinsOpenSession(t *testing.T) {
	t.Parallel()
	f := startFleet(t)
	d := f.dialer(t, 0)
	// Load the fleet unevenly so that bounded load would move a new
	// placement of the key elsewhere.
	key, _ := NewSessionKey()
	first, h, err := d.DialSession(context.Background(), key, "")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	for range 5 {
		k, _ := NewSessionKey()
		c, _, err := d.DialSession(context.Background(), k, "")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	for range 5 {
		c, h2, err := d.DialSession(context.Background(), key, "")
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if h2.Engine != h.Engine {
			t.Fatalf("unpinned connection of an open session went to %s, session on %s", h2.Engine, h.Engine)
		}
	}
}

func TestSessionEngineGone(t *testing.T) {
	t.Parallel()
	f := startFleet(t)
	d := f.dialer(t, 0)
	// A session on each engine.
	byEngine := map[string]string{}
	for len(byEngine) < 3 {
		key, _ := NewSessionKey()
		c, h, err := d.DialSession(context.Background(), key, "")
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		byEngine[h.Engine] = key
	}
	// Engine pr-1 goes away.
	f.lns[1].Close()
	_, _, err := d.DialSession(context.Background(), byEngine["pr-1"], "pr-1")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), engineconfig.ReasonEngineGone) {
		t.Fatalf("pinned connection to a dead engine: %v, want ErrUnavailable/%s", err, engineconfig.ReasonEngineGone)
	}
	if isTimeout(err) {
		t.Errorf("pinned connection to a dead engine: %v, want engine-gone at once, not a timeout", err)
	}
	// The other sessions stay where they are.
	for _, e := range []string{"pr-0", "pr-2"} {
		c, h, err := d.DialSession(context.Background(), byEngine[e], e)
		if err != nil || h.Engine != e {
			t.Fatalf("session on %s after pr-1 died: %v (engine %q)", e, err, h.Engine)
		}
		c.Close()
	}
	// The other replica learns within one health interval (100 ms): new
	// sessions avoid pr-1 there too.
	time.Sleep(300 * time.Millisecond)
	d1 := f.dialer(t, 1)
	for range 30 {
		key, _ := NewSessionKey()
		c, h, err := d1.DialSession(context.Background(), key, "")
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if h.Engine == "pr-1" {
			t.Fatal("new session placed on the dead engine after a health interval")
		}
	}
	var gone int
	for _, r := range f.replicas[0].audit.waitRecords(t, 6) {
		if r.Reason == engineconfig.ReasonEngineGone {
			gone++
			if r.Outcome != OutcomeError || r.Engine != "pr-1" {
				t.Errorf("engine-gone record %+v", r)
			}
		}
	}
	if gone != 1 {
		t.Errorf("%d engine-gone records, want 1", gone)
	}
}

func TestDrainingAdminSocket(t *testing.T) {
	t.Parallel()
	f := startFleet(t)
	srv := f.replicas[0].srv
	dir := sockDir(t, "adm")
	sock := filepath.Join(dir, "admin.sock")
	ln, err := ListenAdmin(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(sock); fi.Mode().Perm() != 0o600 {
		t.Errorf("admin socket mode %v, want 0600", fi.Mode().Perm())
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = srv.ServeAdmin(ctx, ln) }()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	post := func(path string) int {
		resp, err := hc.Post("http://admin"+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	d := f.dialer(t, 0)
	// A session running on pr-0 before the drain.
	var running string
	for running == "" {
		key, _ := NewSessionKey()
		c, h, err := d.DialSession(context.Background(), key, "")
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if h.Engine == "pr-0" {
			running = key
		}
	}
	if code := post("/v1/drain?engine=pr-0"); code != http.StatusOK {
		t.Fatalf("drain: HTTP %d", code)
	}
	if code := post("/v1/drain?engine=nope"); code != http.StatusNotFound {
		t.Errorf("drain of an unknown engine: HTTP %d, want 404", code)
	}
	for range 30 {
		key, _ := NewSessionKey()
		c, h, err := d.DialSession(context.Background(), key, "")
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if h.Engine == "pr-0" {
			t.Fatal("new session placed on a draining engine")
		}
	}
	// The running session's connections still reach it.
	c, h, err := d.DialSession(context.Background(), running, "pr-0")
	if err != nil || h.Engine != "pr-0" {
		t.Fatalf("running session on a draining engine: %v (engine %q)", err, h.Engine)
	}
	c.Close()
	resp, err := hc.Get("http://admin/v1/backends")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"engine":"pr-0"`) || !strings.Contains(string(body), `"draining":true`) {
		t.Errorf("backends = %s", body)
	}
	if code := post("/v1/undrain?engine=pr-0"); code != http.StatusOK {
		t.Fatalf("undrain: HTTP %d", code)
	}
	seen := false
	for range 60 {
		key, _ := NewSessionKey()
		c, h, err := d.DialSession(context.Background(), key, "")
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		seen = seen || h.Engine == "pr-0"
	}
	if !seen {
		t.Error("undrained engine got no new session in 60")
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	f := startFleet(t)
	g := f.replicas[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = g.srv.ServeMetrics(ctx, ln) }()
	d := f.dialer(t, 0)
	key, _ := NewSessionKey()
	c, h, err := d.DialSession(context.Background(), key, "")
	if err != nil {
		t.Fatal(err)
	}
	readBackend(t, c)
	c.Close()
	// A refusal: a certificate of no tier.
	other := f.p.issue(t, "other", f.p.ca, engineconfig.CertSpec{CN: "nobody"})
	if _, _, err := g.dialer(f.p.clientTLS(t, &other), "").Dial(context.Background()); !isRefused(err) {
		t.Fatalf("dial with a certificate of no tier: %v", err)
	}
	f.lns[2].Close()
	g.srv.checkAll(context.Background())
	g.audit.waitRecords(t, 2)
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		fmt.Sprintf(`pinline_gateway_sessions_total{engine="%s",tier="pr"} 1`, h.Engine),
		fmt.Sprintf(`pinline_gateway_connections_total{engine="%s",outcome="ok",tier="pr"} 1`, h.Engine),
		fmt.Sprintf(`pinline_gateway_bytes_total{direction="down",engine="%s",tier="pr"} 3`, h.Engine),
		fmt.Sprintf(`pinline_gateway_sessions_active{engine="%s",tier="pr"} 1`, h.Engine), // known for sessionLinger
		`pinline_gateway_refusals_total{reason="identity-matches-no-tier"} 1`,
		`pinline_gateway_backend_up{engine="pr-2",tier="pr"} 0`,
		`pinline_gateway_backend_up{engine="pr-0",tier="pr"} 1`,
		`pinline_gateway_handshake_seconds_count 2`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, secret := range []string{"contributors", f.paths[0], h.Fingerprint} {
		if strings.Contains(text, secret) {
			t.Errorf("/metrics names %q", secret)
		}
	}
}

// TestStaleDownVerdict: every engine marked down (e.g. checked before it
// started) is still tried; one that answers takes the session, is up
// again, and the session's later connections reach it.
func TestStaleDownVerdict(t *testing.T) {
	t.Parallel()
	f := startFleet(t)
	srv := f.replicas[0].srv
	for _, b := range srv.pools["pr"].backends {
		b.down.Store(true)
	}
	d := f.dialer(t, 0)
	key, _ := NewSessionKey()
	c, h, err := d.DialSession(context.Background(), key, "")
	if err != nil {
		t.Fatalf("all engines marked down but alive: %v", err)
	}
	c.Close()
	c, h2, err := d.DialSession(context.Background(), key, h.Engine)
	if err != nil || h2.Engine != h.Engine {
		t.Fatalf("pinned connection after a stale verdict: %v (engine %q, want %q)", err, h2.Engine, h.Engine)
	}
	c.Close()
	for _, st := range srv.Backends() {
		if st.Engine == h.Engine && !st.Healthy {
			t.Errorf("engine %s answered but is still marked down", st.Engine)
		}
	}
}
