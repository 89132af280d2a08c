package cli

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/gateway"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/record"
)

// gwFixture is `pinline engine gateway` in front of the two real gateway
// engines (tiers trusted and untrusted, strong mode) plus a tier "dead"
// whose only backend socket does not exist.
type gwFixture struct {
	dir, addr, audit string
	env              map[string]string // env of the CLI runs
	busybox          string
}

const (
	gwTrustedBuilder   = "https://pinline.dev/builders/trusted/v1"
	gwUntrustedBuilder = "https://pinline.dev/builders/untrusted/v1"
)

func startGatewayFixture(t *testing.T) *gwFixture { return startGatewayFixtureWith(t, "") }

// startGatewayFixtureWith adds a shared-mode tier "extra" whose only backend is the
// engine socket extraSock, admitting the client certificate "extra"
// (spiffe://example.org/ci/extra); extraSock "" adds none.
func startGatewayFixtureWith(t *testing.T, extraSock string) *gwFixture {
	t.Helper()
	env := testenv.RequireAll(t, "hack/setup.d/30-engine.sh and 50-gateway-engines.sh",
		"PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI", "PINLINE_IMAGE_BUSYBOX")
	dir := t.TempDir()
	addr := freePort(t)
	if code, _, e := runCLICtx(context.Background(), nil, "engine", "certs", "-o", dir, "--gateway", addr,
		"--client", "trusted:spiffe=spiffe://example.org/ci/main",
		"--client", "pr:spiffe=spiffe://example.org/ci/pr/7",
		"--client", "dead:spiffe=spiffe://example.org/ci/dead",
		"--client", "extra:spiffe=spiffe://example.org/ci/extra"); code != 0 {
		t.Fatalf("certs: %s", e)
	}
	cfg := fmt.Sprintf(`listen: %s
tls: {cert: gateway.crt, key: gateway.key, clientCAs: [ca.crt]}
auditLog: audit.jsonl
tiers:
  - {name: trusted, rank: 10, builderId: %q, cacheMode: strong,
     backends: ["unix://%s"], identities: [{field: spiffe, exact: "spiffe://example.org/ci/main"}]}
  - {name: untrusted, rank: 1, builderId: %q, cacheMode: strong,
     backends: ["unix://%s"], identities: [{field: spiffe, prefix: "spiffe://example.org/ci/pr/"}]}
  - {name: dead, rank: 5, builderId: "https://pinline.dev/builders/dead/v1", cacheMode: strong,
     backends: ["unix://%s"], identities: [{field: spiffe, exact: "spiffe://example.org/ci/dead"}]}
`, addr, gwTrustedBuilder, env["PINLINE_GW_TRUSTED_SOCK"], gwUntrustedBuilder, env["PINLINE_GW_UNTRUSTED_SOCK"],
		filepath.Join(dir, "no-such-engine.sock"))
	if extraSock != "" {
		cfg += fmt.Sprintf(`  - {name: extra, rank: 4, builderId: "https://pinline.dev/builders/extra/v1", cacheMode: shared,
     backends: ["unix://%s"], identities: [{field: spiffe, exact: "spiffe://example.org/ci/extra"}]}
`, extraSock)
	}
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gwDone := make(chan int, 1)
	go func() { code, _, _ := runCLICtx(ctx, nil, "engine", "gateway", "--config", cfgPath); gwDone <- code }()
	t.Cleanup(func() { cancel(); <-gwDone })
	waitListening(t, addr)
	return &gwFixture{dir: dir, addr: addr, audit: filepath.Join(dir, "audit.jsonl"), busybox: env["PINLINE_IMAGE_BUSYBOX"],
		env: map[string]string{EnvDaggerCLI.Name: env["PINLINE_GW_DAGGER_CLI"], EnvCosignPassword.Name: "gw-test-password"}}
}

// spec writes a pinline.yaml into a fresh repository and returns its path.
func (f *gwFixture) spec(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pinline.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *gwFixture) run(t *testing.T, client, spec string, extra ...string) (int, string, string) {
	t.Helper()
	return f.runCtx(context.Background(), client, spec, extra...)
}

// runCtx is run under ctx (a testenv.HangGuard).
func (f *gwFixture) runCtx(ctx context.Context, client, spec string, extra ...string) (int, string, string) {
	args := append([]string{"run", "-f", spec, "--engine-config", filepath.Join(f.dir, "engine-"+client+".json")}, extra...)
	return runCLICtx(ctx, f.env, args...)
}

// auditFor returns the gateway's audit records of identity. Records are
// written when a connection ends, maybe after the client returned: it
// waits for the first one, then a little longer for stragglers.
func (f *gwFixture) auditFor(t *testing.T, identity string) []gateway.AuditRecord {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.readAudit(t, identity)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	return f.readAudit(t, identity)
}

func (f *gwFixture) readAudit(t *testing.T, identity string) []gateway.AuditRecord {
	t.Helper()
	fh, err := os.Open(f.audit)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []gateway.AuditRecord
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var r gateway.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		if r.Identity == identity {
			out = append(out, r)
		}
	}
	return out
}

func onlyRun(t *testing.T, spec string) (string, record.Run) {
	t.Helper()
	runs, _ := filepath.Glob(filepath.Join(filepath.Dir(spec), ".pinline", "runs", "*", record.RunFile))
	if len(runs) != 1 {
		t.Fatalf("run records %v", runs)
	}
	b, err := os.ReadFile(runs[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec record.Run
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(runs[0]), rec
}

// TestRunGatewayBehaviour: a signed run through gateway and forwarder
// names the tier's builder id, tier, identity and cache mode in provenance
// and run.json, and verify checks them; a denied run reaches no engine
// (only the gateway probe is logged); a tier whose engine is gone exits 3.
func TestRunGatewayBehaviour(t *testing.T) {
	f := startGatewayFixture(t)

	t.Run("signed provenance names the tier's builder", func(t *testing.T) {
		prefix := filepath.Join(t.TempDir(), "cosign")
		if code, _, e := runCLICtx(context.Background(), f.env, "keys", "generate", "--output-key-prefix", prefix); code != 0 {
			t.Fatalf("keys generate: exit %d %s", code, e)
		}
		sp := f.spec(t, fmt.Sprintf("version: 1\nname: gwsig\nimages:\n  bb: %s\ntasks:\n  build:\n    image: bb\n"+
			"    sh: mkdir -p /out && echo signed %d > /out/hello\n    outputs:\n      - {path: /out/hello}\n", f.busybox, time.Now().UnixNano()))
		if code, out, e := f.run(t, "trusted", sp, "--key", prefix+".key"); code != 0 {
			t.Fatalf("run: exit %d\n%s\n%s", code, out, e)
		}
		dir, rec := onlyRun(t, sp)
		const id = "spiffe:spiffe://example.org/ci/main"
		if rec.Tier != "trusted" || rec.BuilderID != gwTrustedBuilder || rec.Who.Identity != id ||
			rec.Engine.Gateway != f.addr || rec.Engine.GatewayCacheMode != "strong" || !rec.Evidence.Signed {
			t.Errorf("run.json: tier %q builder %q who %+v engine %+v evidence %+v", rec.Tier, rec.BuilderID, rec.Who, rec.Engine, rec.Evidence)
		}
		st := readStatement(t, filepath.Join(dir, record.ProvenanceFile))
		bd, rd := st.Predicate.BuildDefinition, st.Predicate.RunDetails
		if rd.Builder.ID != gwTrustedBuilder || bd.External.Tier != "trusted" ||
			bd.Internal.Gateway.Identity != id || bd.Internal.Gateway.CacheMode != "strong" || bd.Internal.Gateway.Address != f.addr {
			t.Errorf("provenance: builder %q tier %q gateway %+v", rd.Builder.ID, bd.External.Tier, bd.Internal.Gateway)
		}
		verify := func(builder string, extra ...string) (int, string) {
			args := append([]string{"verify", "--key", prefix + ".pub",
				"--attestation", filepath.Join(dir, record.ProvenanceFile), "--artifact", filepath.Join(dir, record.OutputDir, "hello"),
				"--builder-id", builder, "--tier", "trusted"}, extra...)
			code, out, e := runCLICtx(context.Background(), f.env, args...)
			return code, out + e
		}
		if code, out := verify(gwTrustedBuilder, "--identity", id, "--cache-mode", "strong"); code != 0 {
			t.Errorf("verify with the tier's builder id, identity and cache mode: exit %d %s", code, out)
		}
		if code, out := verify(gwUntrustedBuilder); code != ExitDenied || !strings.Contains(out, "builder") {
			t.Errorf("verify with another tier's builder id: exit %d, want %d: %s", code, ExitDenied, out)
		}
		if code, out := verify(gwTrustedBuilder, "--identity", id+"x"); code != ExitDenied || !strings.Contains(out, "identity") {
			t.Errorf("verify with another identity: exit %d, want %d: %s", code, ExitDenied, out)
		}
		if code, out := verify(gwTrustedBuilder, "--cache-mode", "shared"); code != ExitDenied || !strings.Contains(out, "cache mode") {
			t.Errorf("verify with another cache mode: exit %d, want %d: %s", code, ExitDenied, out)
		}
	})

	t.Run("denied run reaches no engine", func(t *testing.T) {
		// An image without a digest: the gate denies (PL021).
		sp := f.spec(t, "version: 1\nname: gwdeny\nimages:\n  bb: "+strings.Split(f.busybox, "@")[0]+
			"\ntasks:\n  hello:\n    image: bb\n    run: [echo, x]\n")
		code, out, e := f.run(t, "pr", sp)
		if code != ExitDenied {
			t.Fatalf("denied run: exit %d, want %d\n%s\n%s", code, ExitDenied, out, e)
		}
		if _, rec := onlyRun(t, sp); rec.Status != record.StatusDenied || rec.Tier != "untrusted" {
			t.Errorf("record: status %q tier %q", rec.Status, rec.Tier)
		}
		recs := f.auditFor(t, "spiffe:spiffe://example.org/ci/pr/7")
		if len(recs) != 1 || recs[0].Outcome != gateway.OutcomeProbe || recs[0].Backend != "" || recs[0].BytesUp != 0 {
			t.Errorf("audit of the denied run: want exactly one probe and no backend, got %+v", recs)
		}
	})

	t.Run("dead engine is operational", func(t *testing.T) {
		sp := f.spec(t, fmt.Sprintf("version: 1\nname: gwdead\nimages:\n  bb: %s\ntasks:\n  hello:\n    image: bb\n    run: [echo, x]\n", f.busybox))
		ctx, hung := testenv.HangGuard(t, "the run on the dead engine")
		code, out, e := f.runCtx(ctx, "dead", sp, "--connect-timeout", "10s")
		hung()
		if code != ExitOperational || !strings.Contains(e, "backend-unavailable") || !strings.Contains(e, `tier "dead"`) {
			t.Fatalf("dead engine: exit %d, want %d naming tier and reason\n%s\n%s", code, ExitOperational, out, e)
		}
		_, rec := onlyRun(t, sp)
		if rec.Status != record.StatusFailed || !strings.Contains(rec.Error, "backend-unavailable") || !strings.Contains(rec.Error, `tier "dead"`) {
			t.Errorf("record: status %q error %q", rec.Status, rec.Error)
		}
		var down int
		for _, r := range f.auditFor(t, "spiffe:spiffe://example.org/ci/dead") {
			if r.Outcome == gateway.OutcomeError && r.Reason == "backend-unavailable" && strings.Contains(r.Detail, "no-such-engine.sock") {
				down++
			}
		}
		if down == 0 {
			t.Error("gateway audit log has no backend-unavailable record naming the backend")
		}
	})
}

// statementDoc is the part of the provenance statement the test reads.
type statementDoc struct {
	Predicate struct {
		BuildDefinition struct {
			External struct {
				Tier string `json:"tier"`
			} `json:"externalParameters"`
			Internal struct {
				Gateway struct {
					Address, Identity, CacheMode string
				} `json:"gateway"`
			} `json:"internalParameters"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
		} `json:"runDetails"`
	} `json:"predicate"`
}

func readStatement(t *testing.T, path string) statementDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Payload string `json:"payload"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st statementDoc
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
