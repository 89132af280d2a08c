package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/servetest"
)

const (
	releaseBuilder = "https://pinline.test/builders/release"
	prBuilder      = "https://pinline.test/builders/pr"
)

// testServer is a running server with release and pr clients.
type testServer struct {
	env     *servetest.Env
	srv     *Server
	cfg     *Config
	base    string
	release *Client
	pr      *Client
	// stranger has a certificate of the CA admitted to no tier.
	stranger *Client
	done     chan error
}

// startServer starts a server with tiers release (engine relSock) and pr
// (engine prSock).
func startServer(t *testing.T, env *servetest.Env, cli, relSock, prSock string, relConc, prConc int) *testServer {
	return startServerTB(t, env, cli, relSock, prSock, relConc, prConc)
}

// startServerB is startServer for benchmarks (limits 1).
func startServerB(b *testing.B, env *servetest.Env, cli, relSock, prSock string) *testServer {
	return startServerTB(b, env, cli, relSock, prSock, 1, 1)
}

func startServerTB(t testing.TB, env *servetest.Env, cli, relSock, prSock string, relConc, prConc int) *testServer {
	t.Helper()
	cfgPath := env.Config(t, cli,
		servetest.Tier{Name: "release", Rank: 10, BuilderID: releaseBuilder, Identity: "spiffe://pinline.test/ci/main/", Engine: relSock, Concurrency: relConc},
		servetest.Tier{Name: "pr", Rank: 1, BuilderID: prBuilder, Identity: "spiffe://pinline.test/ci/pr/", Engine: prSock, Concurrency: prConc})
	return launch(t, env, cfgPath, Options{})
}

// launch starts a server of the configuration at cfgPath (written by
// env.Config) on 127.0.0.1 with options o (Version defaults to "test"),
// stopped at the end of the test, with its release, pr and stranger
// clients.
func launch(t testing.TB, env *servetest.Env, cfgPath string, o Options) *testServer {
	t.Helper()
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if o.Version == "" {
		o.Version = "test"
	}
	srv, err := New(context.Background(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{env: env, srv: srv, cfg: cfg, base: "https://" + addr.String(), done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve() }()
	t.Cleanup(func() { ts.stop(t) })
	ts.release = ts.client(t, "ci-main", "spiffe://pinline.test/ci/main/app")
	ts.pr = ts.client(t, "ci-pr", "spiffe://pinline.test/ci/pr/42")
	ts.stranger = ts.client(t, "stranger", "spiffe://elsewhere.test/x/")
	return ts
}

func (ts *testServer) stop(t testing.TB) {
	if ts.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	<-ts.done
	ts.srv = nil
}

func (ts *testServer) client(t testing.TB, name, uri string) *Client {
	t.Helper()
	cert, key := ts.env.Client(t, name, uri)
	c, err := NewClient(ts.base, ts.env.ClientTLS(t, cert, key))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// audit reads the audit log.
func (ts *testServer) audit(t *testing.T) []AuditRecord {
	t.Helper()
	f, err := os.Open(ts.cfg.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []AuditRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// storeEntries lists what the store holds under .pinline/<sub>.
func (ts *testServer) storeEntries(t *testing.T, sub string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(ts.cfg.Store, ".pinline", sub))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func reasonOf(err error) string {
	if ae, ok := err.(*APIError); ok {
		return ae.Body.Reason
	}
	return ""
}

func statusOf(err error) int {
	if ae, ok := err.(*APIError); ok {
		return ae.Status
	}
	return 0
}

func specYAML(image string, tasks string) string {
	return "version: 1\nname: svc\nimages:\n  bb: " + image + "\ntasks:\n" + tasks
}
