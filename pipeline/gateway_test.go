package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/gateway"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// TestEngineThroughGateway runs a pipeline on the real engine through the
// real mTLS gateway: the record names the gateway and the identity it
// announced; a tier the certificate is not admitted to never runs.
func TestEngineThroughGateway(t *testing.T) {
	t.Parallel()
	e := needEngine(t)
	dir := t.TempDir()
	now := time.Now()
	ca, err := engineconfig.NewCA("pinline test CA", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	issue := func(name string, cs engineconfig.CertSpec) {
		cs.NotBefore, cs.NotAfter = now.Add(-time.Minute), now.Add(time.Hour)
		crt, key, err := ca.Issue(cs)
		if err != nil {
			t.Fatal(err)
		}
		write(name+".crt", crt)
		write(name+".key", key)
	}
	write("ca.crt", ca.PEM)
	issue("gateway", engineconfig.CertSpec{CN: "gateway", Server: true, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	issue("client", engineconfig.CertSpec{CN: "release-bot"})

	cfg, err := engineconfig.ParseGateway([]byte(fmt.Sprintf(`
listen: 127.0.0.1:0
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
tiers:
  - name: trusted
    rank: 10
    builderId: https://pinline.dev/builders/trusted/v1
    cacheMode: strong
    backends: ["unix://%s"]
    identities:
      - {field: cn, prefix: "release-"}
`, e.sock)), dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := gateway.New(cfg, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })

	client, err := engineconfig.ParseClient([]byte(fmt.Sprintf(
		`{"engine": {"address": "tcp://%s", "tls": {"ca": "ca.crt", "cert": "client.crt", "key": "client.key"}}}`, ln.Addr())), dir)
	if err != nil {
		t.Fatal(err)
	}
	run := func(tier string) (*Result, error) {
		root := t.TempDir()
		s := e.bbSpec(t, root, spec.Task{Name: "hello", Env: map[string]string{"N": nonce(t)}, Run: []string{"echo", "through the gateway"}})
		o := e.options(t, s, root)
		o.Tier = tier
		o.Engine.Address, o.Engine.Gateway = "tcp://"+ln.Addr().String(), client
		return Run(context.Background(), o)
	}

	res, err := run("trusted")
	if err != nil {
		t.Fatal(err)
	}
	r := readRun(t, res.Dir)
	if r.Engine.Gateway != "tcp://"+ln.Addr().String() || r.Who.Identity == "" || r.Who.Fingerprint == "" ||
		r.BuilderID != "https://pinline.dev/builders/trusted/v1" {
		t.Errorf("record engine %+v who %+v builder %s", r.Engine, r.Who, r.BuilderID)
	}

	res, err = run("untrusted")
	if !errors.Is(err, ErrEngine) {
		t.Fatalf("tier not admitted: err = %v, want ErrEngine", err)
	}
	if r := readRun(t, res.Dir); r.Status != record.StatusFailed || taskRec(t, r, "hello").Status != record.StatusSkipped {
		t.Errorf("refused run: status %s, task %s", r.Status, taskRec(t, r, "hello").Status)
	}
}
