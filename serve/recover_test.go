package serve

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
)

// TestRecoverAfterCrash: state files a killed server left. A run left
// running with a record still running, or with a succeeded record whose
// provenance does not verify with the tier key, is failed, unsigned, and
// its provenance is moved away (not listed, not served). A succeeded
// record whose provenance verifies with the tier key is kept: no finished
// record is lost.
func TestRecoverAfterCrash(t *testing.T) {
	t.Parallel()
	env := servetest.New(t)
	ts := startServer(t, env, "/nonexistent/dagger", "/nonexistent/r.sock", "/nonexistent/p.sock", 1, 1)
	ts.stop(t)
	store := ts.cfg.Store
	keyID := func() string {
		s, err := attest.LoadSigner(context.Background(), env.Keys["release"].Private, func() ([]byte, error) { return []byte(env.Keys["release"].Password), nil })
		if err != nil {
			t.Fatal(err)
		}
		id, _ := attest.KeyHint(s.PublicKey())
		return id
	}()
	signer, _ := attest.LoadSigner(context.Background(), env.Keys["release"].Private, func() ([]byte, error) { return []byte(env.Keys["release"].Password), nil })
	prSigner, _ := attest.LoadSigner(context.Background(), env.Keys["pr"].Private, func() ([]byte, error) { return []byte(env.Keys["pr"].Password), nil })
	now := time.Now().UTC()
	mk := func(id, recStatus string, sign attest.Signer) {
		st := RunStatus{ID: id, State: StateRunning, Tier: "release", Repository: "http://x/r", Commit: "c", Spec: "pinline.yaml", Tasks: []string{}, SubmittedAt: now}
		b, _ := json.Marshal(st)
		if err := os.WriteFile(filepath.Join(store, ".pinline", "serve", id+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(store, ".pinline", "runs", id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		rec := &record.Run{Schema: record.SchemaVersion, ID: id, Status: recStatus, StartedAt: now, FinishedAt: now, Tier: "release",
			BuilderID: releaseBuilder, Tasks: []record.Task{}, Outputs: []record.Output{}, Images: []record.Image{}, Modules: []record.Module{}}
		rec.Evidence.Provenance, rec.Evidence.Signed, rec.Evidence.KeyRef = record.ProvenanceFile, true, keyID
		if sign != nil {
			pv, err := pipeline.SignedProvenance{Signer: sign, KeyRef: keyID, Version: "test"}.Attest(context.Background(), rec, "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, record.ProvenanceFile), pv.Envelope, 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := os.WriteFile(filepath.Join(dir, record.ProvenanceFile), []byte(`{"payload":""}`), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		root, _ := os.OpenRoot(dir)
		defer root.Close()
		if err := record.WriteRun(root, rec); err != nil {
			t.Fatal(err)
		}
	}
	mk("20260101T000000Z-00000001", record.StatusRunning, signer)
	mk("20260101T000000Z-00000002", record.StatusSucceeded, prSigner) // signed by another key
	mk("20260101T000000Z-00000003", record.StatusSucceeded, signer)
	mk("20260101T000000Z-00000004", record.StatusSucceeded, nil)
	// A workspace the crash left behind.
	if err := os.MkdirAll(filepath.Join(store, ".pinline", "work", "x-1", "src"), 0o755); err != nil {
		t.Fatal(err)
	}

	ts2 := startServer(t, env, "/nonexistent/dagger", "/nonexistent/r.sock", "/nonexistent/p.sock", 1, 1)
	ctx := context.Background()
	for id, want := range map[string]string{"20260101T000000Z-00000001": StateFailed, "20260101T000000Z-00000002": StateFailed,
		"20260101T000000Z-00000003": StateSucceeded, "20260101T000000Z-00000004": StateFailed} {
		st, err := ts2.release.Status(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != want || st.Signed != (want == StateSucceeded) {
			t.Errorf("%s: %+v, want %s", id, st, want)
		}
		dir, err := ts2.release.Download(ctx, id, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		rec, err := record.ReadRun(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, perr := os.Stat(filepath.Join(dir, record.ProvenanceFile))
		if want == StateFailed && (rec.Status != record.StatusFailed || rec.Evidence.Signed || perr == nil) {
			t.Errorf("%s: record %s signed %v, provenance downloaded: %v", id, rec.Status, rec.Evidence.Signed, perr == nil)
		}
		if want == StateSucceeded && (rec.Status != record.StatusSucceeded || perr != nil) {
			t.Errorf("%s: the finished record was not kept: %s %v", id, rec.Status, perr)
		}
	}
	if got := ts2.storeEntries(t, "work"); len(got) != 0 {
		t.Errorf("workspaces after restart: %v", got)
	}
}

// TestSecretSourceIsNotAKey: a tier secrets file that maps a logical
// secret to a signing key, its password file or its password variable
// stops the server at start (bad input, file and line).
func TestSecretSourceIsNotAKey(t *testing.T) {
	t.Parallel()
	env := servetest.New(t)
	k := env.TierKey(t, "release")
	for name, src := range map[string]string{"key": "{file: " + k.Private + "}", "password": "{file: " + k.PasswordFile + "}"} {
		t.Run(name, func(t *testing.T) {
			sec := filepath.Join(t.TempDir(), "secrets.yaml")
			if err := os.WriteFile(sec, []byte("version: 1\ntiers:\n  pr:\n    x: {env: OK}\n    stolen: "+src+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfgPath := env.Config(t, "/bin/true", servetest.Tier{Name: "release", Rank: 10, BuilderID: releaseBuilder, Identity: "spiffe://t/a/", Engine: "/x.sock", Secrets: sec})
			cfg, err := LoadConfig(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(context.Background(), cfg, Options{Version: "test"})
			if !errors.Is(err, errclass.ErrBadInput) || err == nil || !strings.Contains(err.Error(), sec+":5: secret \"stolen\" reads tier \"release\"'s signing key material") {
				t.Errorf("New: %v", err)
			}
		})
	}
}
