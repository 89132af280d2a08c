package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/gateway"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/internal/testimage"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// TestRealPipelineRunThroughGateway: a pinline run (pipeline.Run on the
// real engine) through forwarder and gateway records the builder id, tier
// and identity the gateway announced, and lands on the tier's engine.
func TestRealPipelineRunThroughGateway(t *testing.T) {
	env := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	trusted, untrusted, cli := env["PINLINE_GW_TRUSTED_SOCK"], env["PINLINE_GW_UNTRUSTED_SOCK"], env["PINLINE_GW_DAGGER_CLI"]
	dir := t.TempDir()
	now := time.Now()
	_, err := engineconfig.WriteDevCerts(dir, nil, []engineconfig.DevClient{
		{Name: "main", Spec: engineconfig.CertSpec{CN: "ci-main", URIs: []string{"spiffe://example.org/ci/main"}}},
		{Name: "pr", Spec: engineconfig.CertSpec{CN: "ci-pr", URIs: []string{"spiffe://example.org/ci/pr/5"}}},
	}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cfgYAML := fmt.Sprintf(`listen: 127.0.0.1:0
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
tiers:
  - {name: trusted, rank: 10, builderId: "https://pinline.dev/builders/trusted/v1", cacheMode: strong,
     backends: ["unix://%s"], identities: [{field: spiffe, exact: "spiffe://example.org/ci/main"}]}
  - {name: untrusted, rank: 1, builderId: "https://pinline.dev/builders/untrusted/v1", cacheMode: strong,
     backends: ["unix://%s"], identities: [{field: spiffe, prefix: "spiffe://example.org/ci/pr/"}]}
`, trusted, untrusted)
	cfg, err := engineconfig.ParseGateway([]byte(cfgYAML), dir)
	if err != nil {
		t.Fatal(err)
	}
	var audit bytes.Buffer
	srv, err := gateway.New(cfg, &audit, nil)
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
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(func() { cancel(); <-done }) }
	defer stop()
	img := testimage.Busybox(t)

	for _, tc := range []struct{ cert, tier, builder, backend string }{
		{"main", "trusted", "https://pinline.dev/builders/trusted/v1", trusted},
		{"pr", "untrusted", "https://pinline.dev/builders/untrusted/v1", untrusted},
	} {
		t.Run(tc.tier, func(t *testing.T) {
			js := fmt.Sprintf(`{"engine":{"address":"tcp://%s","tls":{"ca":"ca.crt","cert":"%s.crt","key":"%s.key"}}}`, ln.Addr(), tc.cert, tc.cert)
			client, err := engineconfig.ParseClient([]byte(js), dir)
			if err != nil {
				t.Fatal(err)
			}
			d, err := gateway.NewDialer(client, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			fwd, err := gateway.StartForwarder(ctx, d, "")
			if err != nil {
				t.Fatal(err)
			}
			defer fwd.Close()
			a := fwd.Announced()
			root := t.TempDir()
			// The in-memory spec is the one that runs (and that the gate
			// adds to what it collects); the file only gives it a path.
			sp := filepath.Join(root, "gw.yaml")
			if err := os.WriteFile(sp, []byte("version: 1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			s := &spec.Spec{Path: sp, Version: 1, Name: "gw", Images: map[string]spec.Image{"bb": {Name: "bb", Ref: img}},
				Tasks: []spec.Task{{Name: "hello", Image: "bb", Run: []string{"/bin/busybox", "echo", "hello", tc.tier, fmt.Sprint(time.Now().UnixNano())}}}}
			res, err := pipeline.Run(ctx, pipeline.Options{
				Spec: s, Root: root, Tier: a.Tier, BuilderID: a.BuilderID, CacheScope: engineconfig.BranchScope("main"),
				Engine: pipeline.Engine{Address: fwd.Address(), CLI: cli, Env: os.Environ()},
				Gate:   pipeline.PolicyGate{},
				Who:    record.Who{User: "test", Identity: a.Identity, Fingerprint: a.Fingerprint},
			})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if ferr := fwd.Err(); ferr != nil {
				t.Errorf("forwarder: %v", ferr)
			}
			b, err := os.ReadFile(filepath.Join(res.Dir, record.RunFile))
			if err != nil {
				t.Fatal(err)
			}
			var rec record.Run
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatal(err)
			}
			if rec.Status != record.StatusSucceeded || rec.Tier != tc.tier || rec.BuilderID != tc.builder ||
				!strings.HasPrefix(rec.Who.Identity, "spiffe:spiffe://example.org/ci/") || rec.Who.Fingerprint == "" {
				t.Errorf("run.json: status %q tier %q builder %q who %+v", rec.Status, rec.Tier, rec.BuilderID, rec.Who)
			}
		})
	}
	// Every admitted connection went to its tier's engine.
	stop()
	for _, line := range strings.Split(strings.TrimSpace(audit.String()), "\n") {
		var r gateway.AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"trusted": "unix://" + trusted, "untrusted": "unix://" + untrusted}[r.Tier]
		if r.Outcome == gateway.OutcomeOK && r.Backend != want {
			t.Errorf("tier %s routed to %s", r.Tier, r.Backend)
		}
	}
}
