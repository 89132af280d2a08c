package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/gateway"
	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/internal/testimage"
	"github.com/pinline/pinline/record"
)

// TestServeThroughGateway: a tier whose engine is an engine.json with an
// mTLS block runs through the pinline gateway (in-process, in front of the
// gw-trusted engine): the server's certificate is admitted to the
// gateway's tier of the same name; the record names the gateway, and the
// run is signed with the tier key.
func TestServeThroughGateway(t *testing.T) {
	vals := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	env := servetest.New(t)
	img := testimage.Busybox(t)
	// The gateway: its own dev PKI; the server is its client.
	gdir := t.TempDir()
	if _, err := engineconfig.WriteDevCerts(gdir, nil, []engineconfig.DevClient{
		{Name: "serve", Spec: engineconfig.CertSpec{CN: "pinline-serve", URIs: []string{"spiffe://pinline.test/serve/release"}}},
	}, time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	gcfg, err := engineconfig.ParseGateway([]byte(fmt.Sprintf(`listen: 127.0.0.1:0
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
tiers:
  - {name: release, rank: 10, builderId: "https://gateway/release", cacheMode: strong, backends: ["unix://%s"],
     identities: [{field: spiffe, exact: "spiffe://pinline.test/serve/release"}]}
`, vals["PINLINE_GW_TRUSTED_SOCK"])), gdir)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(gcfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gctx, gcancel := context.WithCancel(context.Background())
	gdone := make(chan error, 1)
	go func() { gdone <- gw.Serve(gctx, ln) }()
	defer func() { gcancel(); <-gdone }()
	engineJSON := filepath.Join(gdir, "engine-release.json")
	if err := os.WriteFile(engineJSON, []byte(fmt.Sprintf(`{"engine":{"address":"tcp://%s","tls":{"ca":"ca.crt","cert":"serve.crt","key":"serve.key"}}}`, ln.Addr())), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := env.Config(t, vals["PINLINE_GW_DAGGER_CLI"],
		servetest.Tier{Name: "release", Rank: 10, BuilderID: releaseBuilder, Identity: "spiffe://pinline.test/ci/main/", EngineConfig: engineJSON})
	ts := launch(t, env, cfgPath, Options{})
	c := ts.release
	url, commit := env.Repo(t, "gw", map[string]string{
		"pinline.yaml": specYAML(img, fmt.Sprintf("  build:\n    image: bb\n    sh: mkdir -p /out && echo gw %d > /out/f\n    outputs: [{path: /out/f}]\n", time.Now().UnixNano())),
	})
	ctx := context.Background()
	st, err := c.Submit(ctx, &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	fin, err := c.Events(ctx, st.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fin.State != StateSucceeded || !fin.Signed {
		t.Fatalf("run through the gateway: %+v", fin)
	}
	dir, err := c.Download(ctx, st.ID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Engine.Gateway != ln.Addr().String() || rec.Engine.GatewayCacheMode != "strong" || rec.BuilderID != releaseBuilder ||
		rec.Service == nil || rec.Service.Engine != ln.Addr().String() {
		t.Errorf("record: engine %+v builder %s service %+v", rec.Engine, rec.BuilderID, rec.Service)
	}
}

// TestServeOutputLimit: a repository whose run leaves more than the
// server's maxOutputBytes fails, and nothing of it is signed.
func TestServeOutputLimit(t *testing.T) {
	vals := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	env := servetest.New(t)
	img := testimage.Busybox(t)
	ts := startServer(t, env, vals["PINLINE_GW_DAGGER_CLI"], vals["PINLINE_GW_TRUSTED_SOCK"], vals["PINLINE_GW_UNTRUSTED_SOCK"], 1, 1)
	ts.cfg.MaxOutputBytes = 256 << 10 // the loaded configuration, before any run
	url, commit := env.Repo(t, "big", map[string]string{
		"pinline.yaml": specYAML(img, fmt.Sprintf("  big:\n    image: bb\n    sh: mkdir -p /out && echo %d > /out/f && head -c 1048576 /dev/zero >> /out/f\n    outputs: [{path: /out/f}]\n", time.Now().UnixNano())),
	})
	ctx := context.Background()
	st, err := ts.pr.Submit(ctx, &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	fin, err := ts.pr.Events(ctx, st.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fin.State != StateFailed || fin.Signed || fin.ExitCode != 1 {
		t.Errorf("over the output limit: %+v", fin)
	}
	dir, err := ts.pr.Download(ctx, st.ID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := record.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, perr := os.Stat(filepath.Join(dir, record.ProvenanceFile)); rec.Status != record.StatusFailed || rec.Evidence.Signed || perr == nil {
		t.Errorf("record %s signed %v provenance downloaded %v", rec.Status, rec.Evidence.Signed, perr == nil)
	}
}

// TestServeTimeoutAndCancel: the tier's run timeout interrupts a run; a
// queued run is cancelled out of the FIFO queue (the one behind it moves
// up); a running run is cancelled. None of them is signed.
func TestServeTimeoutAndCancel(t *testing.T) {
	vals := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	env := servetest.New(t)
	img := testimage.Busybox(t)
	cfgPath := env.Config(t, vals["PINLINE_GW_DAGGER_CLI"],
		servetest.Tier{Name: "release", Rank: 10, BuilderID: releaseBuilder, Identity: "spiffe://pinline.test/ci/main/", Engine: vals["PINLINE_GW_TRUSTED_SOCK"], Concurrency: 1, Timeout: 4 * time.Second},
		servetest.Tier{Name: "pr", Rank: 1, BuilderID: prBuilder, Identity: "spiffe://pinline.test/ci/pr/", Engine: vals["PINLINE_GW_UNTRUSTED_SOCK"], Concurrency: 1})
	ts := launch(t, env, cfgPath, Options{})
	rel, pr := ts.release, ts.pr
	url, commit := env.Repo(t, "sleepy", map[string]string{
		"pinline.yaml": specYAML(img, fmt.Sprintf("  slow:\n    image: bb\n    sh: echo %d && sleep 30\n", time.Now().UnixNano())),
	})
	ctx := context.Background()
	req := &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"}

	// Timeout (release: 4s).
	st, err := rel.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	fin, err := rel.Events(ctx, st.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The record's status (pinline run's: a run past its timeout failed).
	if fin.State != StateFailed || fin.Signed || fin.ExitCode != 1 || !strings.Contains(fin.Error, "timed out after 4s") {
		t.Errorf("timed out run: %+v", fin)
	}

	// Cancel (pr: one at a time).
	a, err := pr.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pr.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pr.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if b.State != StateQueued || b.Position != 1 || c.Position != 2 {
		t.Errorf("queue: b %s/%d c %s/%d", b.State, b.Position, c.State, c.Position)
	}
	if st, err := pr.Cancel(ctx, b.ID); err != nil || st.State != StateCancelled {
		t.Errorf("cancel queued: %+v %v", st, err)
	}
	if st, err := pr.Status(ctx, c.ID); err != nil || st.Position != 1 {
		t.Errorf("after the cancel the last run is at %+v %v", st, err)
	}
	if _, err := pr.Cancel(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		fin, err := pr.Events(ctx, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fin.State != StateCancelled || fin.Signed || fin.ExitCode != 1 {
			t.Errorf("cancelled run %s: %+v", id, fin)
		}
	}
	if _, err := pr.Cancel(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if fin, err := pr.Events(ctx, c.ID, nil); err != nil || fin.State != StateCancelled {
		t.Errorf("last run: %+v %v", fin, err)
	}
}

// TestServeTierSecrets: secrets come from the tier's operator secrets
// file: the release and the pr run of the same commit get their own
// tier's value, which reaches the task and never a downloaded file.
func TestServeTierSecrets(t *testing.T) {
	vals := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	env := servetest.New(t)
	img := testimage.Busybox(t)
	sdir := t.TempDir()
	values := map[string]string{"release": fmt.Sprint("rel-secret-", time.Now().UnixNano()), "pr": fmt.Sprint("pr-secret-", time.Now().UnixNano())}
	for tier, v := range values {
		if err := os.WriteFile(filepath.Join(sdir, tier+".tok"), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	secrets := filepath.Join(sdir, "secrets.yaml")
	if err := os.WriteFile(secrets, []byte("version: 1\ntiers:\n  release:\n    token: {file: release.tok}\n  pr:\n    token: {file: pr.tok}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := env.Config(t, vals["PINLINE_GW_DAGGER_CLI"],
		servetest.Tier{Name: "release", Rank: 10, BuilderID: releaseBuilder, Identity: "spiffe://pinline.test/ci/main/", Engine: vals["PINLINE_GW_TRUSTED_SOCK"], Secrets: secrets},
		servetest.Tier{Name: "pr", Rank: 1, BuilderID: prBuilder, Identity: "spiffe://pinline.test/ci/pr/", Engine: vals["PINLINE_GW_UNTRUSTED_SOCK"], Secrets: secrets})
	ts := launch(t, env, cfgPath, Options{})
	url, commit := env.Repo(t, "sec", map[string]string{
		"pinline.yaml": specYAML(img, fmt.Sprintf("  use:\n    image: bb\n    secrets: [{name: token, env: TOKEN}]\n"+
			"    sh: mkdir -p /out && echo %d && echo \"token is $TOKEN\" && printf %%s \"$TOKEN\" | sha256sum > /out/h\n    outputs: [{path: /out/h}]\n", time.Now().UnixNano())),
	})
	ctx := context.Background()
	for tier, c := range map[string]*Client{"release": ts.release, "pr": ts.pr} {
		st, err := c.Submit(ctx, &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		var logs strings.Builder
		fin, err := c.Events(ctx, st.ID, func(e Event) { logs.WriteString(e.Data) })
		if err != nil || fin.State != StateSucceeded {
			t.Fatalf("%s: %+v %v", tier, fin, err)
		}
		dir, err := c.Download(ctx, st.ID, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		h, _ := os.ReadFile(filepath.Join(dir, record.OutputDir, "h"))
		sum := sha256.Sum256([]byte(values[tier]))
		if !strings.HasPrefix(string(h), hex.EncodeToString(sum[:])) {
			t.Errorf("%s: the task did not get its tier's secret: %q", tier, h)
		}
		if strings.Contains(logs.String(), values[tier]) || !strings.Contains(logs.String(), "token is ") {
			t.Errorf("%s: streamed log %q", tier, logs.String())
		}
		_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), values["release"]) || strings.Contains(string(b), values["pr"]) {
					t.Errorf("%s: %s holds a secret value", tier, p)
				}
			}
			return nil
		})
	}
}

// TestServeLiveOutput: a task prints a line, sleeps, prints another; the
// first line reaches the event stream (an output event) before the task's
// final event, i.e. while the task still runs; the complete log follows
// it; LogView prints every line once.
func TestServeLiveOutput(t *testing.T) {
	vals := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	env := servetest.New(t)
	img := testimage.Busybox(t)
	ts := startServer(t, env, vals["PINLINE_GW_DAGGER_CLI"], vals["PINLINE_GW_TRUSTED_SOCK"], vals["PINLINE_GW_UNTRUSTED_SOCK"], 1, 1)
	n := fmt.Sprint(time.Now().UnixNano())
	url, commit := env.Repo(t, "live", map[string]string{
		"pinline.yaml": specYAML(img, "  talk:\n    image: bb\n    sh: echo first-"+n+" && sleep 8 && echo second-"+n+" && echo err-"+n+" >&2\n"),
	})
	ctx := context.Background()
	st, err := ts.release.Submit(ctx, &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	var shown strings.Builder
	view := &LogView{W: &shown}
	fin, err := ts.release.Events(ctx, st.ID, func(e Event) { events = append(events, e); view.Event(e) })
	if err != nil || fin.State != StateSucceeded {
		t.Fatalf("run: %+v %v", fin, err)
	}
	first, ended, logged := 0, 0, 0
	for _, e := range events {
		switch {
		case e.Type == "output" && strings.Contains(e.Data, "first-"+n) && first == 0:
			first = e.Seq
			if e.Task != "talk" || e.Stream != "stdout" {
				t.Errorf("output event %+v", e)
			}
		case e.Type == "task" && e.Task == "talk" && e.Status != record.StatusRunning:
			ended = e.Seq
		case e.Type == "log" && strings.Contains(e.Data, "second-"+n) && logged == 0:
			logged = e.Seq
		}
	}
	if first == 0 || ended == 0 || first > ended {
		t.Fatalf("the first line (event %d) did not arrive before the task ended (event %d): %+v", first, ended, events)
	}
	if logged < ended {
		t.Errorf("the complete log (event %d) does not follow the task's end (%d)", logged, ended)
	}
	for _, l := range []string{"first-" + n, "second-" + n, "err-" + n} {
		if c := strings.Count(shown.String(), l+"\n"); c != 1 {
			t.Errorf("LogView printed %q %d times:\n%s", l, c, shown.String())
		}
	}
	// A restarted server still serves the events, from the store.
	dir := ts.cfg.Store
	ts.stop(t)
	ts2 := launch(t, env, ts.cfg.Path, Options{})
	if ts2.cfg.Store != dir {
		t.Fatalf("store %s, want %s", ts2.cfg.Store, dir)
	}
	var again []Event
	if _, err := ts2.release.Events(ctx, st.ID, func(e Event) { again = append(again, e) }); err != nil {
		t.Fatal(err)
	}
	if len(again) != len(events) || again[first-1].Data != events[first-1].Data {
		t.Errorf("after a restart: %d events, want %d", len(again), len(events))
	}
}
