// Package servetest sets up what tests of `pinline serve` need on
// loopback: a development PKI (server and client certificates), one cosign
// key pair per tier, a smart-HTTP git server with test repositories, and
// server.yaml.
package servetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/attest"
	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/internal/gitserver"
)

// Tier is a tier of the test server.
type Tier struct {
	Name, BuilderID string
	Rank            int
	// Identity is the SPIFFE id prefix admitted (ends in "/").
	Identity string
	// Engine is the engine socket path; EngineConfig, when set instead,
	// a client engine.json (through the gateway).
	Engine       string
	EngineConfig string
	Concurrency  int
	Timeout      time.Duration
	// Secrets is the tier's operator secrets file ("": none).
	Secrets string
	// KMSKey, when set, is the tier's signing key as a KMS URI (no key
	// pair is generated for the tier).
	KMSKey string
}

// Key is a tier's cosign key pair (files) and its password.
type Key struct {
	Private, Public, Password, PasswordFile string
}

// Env is the test environment.
type Env struct {
	Dir    string
	CA     *engineconfig.CA
	CAFile string
	Git    *gitserver.Server
	Keys   map[string]Key
}

// New creates the PKI (server certificate for 127.0.0.1; clients are
// issued with Client) and starts the git server.
func New(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	ca, err := engineconfig.NewCA("pinline serve test CA", time.Now(), 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Dir: dir, CA: ca, CAFile: write(t, dir, "ca.crt", ca.PEM), Keys: map[string]Key{}}
	cert, key, err := ca.Issue(engineconfig.CertSpec{CN: "pinline-serve", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, DNS: []string{"localhost"},
		Server: true, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "server.crt", cert)
	write(t, dir, "server.key", key)
	gitRoot := filepath.Join(dir, "git")
	if err := os.Mkdir(gitRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	g, err := gitserver.Start("127.0.0.1:0", gitRoot)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	e.Git = g
	return e
}

func write(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Client issues a client certificate with the SPIFFE id uri (CN name)
// and returns its certificate and key files.
func (e *Env) Client(t testing.TB, name, uri string) (certFile, keyFile string) {
	t.Helper()
	s := engineconfig.CertSpec{CN: name, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(2 * time.Hour)}
	if uri != "" {
		s.URIs = []string{uri}
	}
	cert, key, err := e.CA.Issue(s)
	if err != nil {
		t.Fatal(err)
	}
	return write(t, e.Dir, name+".crt", cert), write(t, e.Dir, name+".key", key)
}

// ClientTLS is the *tls.Config of a client certificate from Client.
func (e *Env) ClientTLS(t testing.TB, certFile, keyFile string) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.CA.PEM)
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, Certificates: []tls.Certificate{pair}}
}

// TLSConfigFile writes the engine.json-style file `pinline submit
// --tls-config` reads.
func (e *Env) TLSConfigFile(t testing.TB, name, certFile, keyFile string) string {
	t.Helper()
	js := fmt.Sprintf(`{"engine":{"address":"tcp://127.0.0.1:1","tls":{"ca":%q,"cert":%q,"key":%q}}}`, e.CAFile, certFile, keyFile)
	return write(t, e.Dir, name+".json", []byte(js))
}

// TierKey generates the tier's encrypted cosign key pair.
func (e *Env) TierKey(t testing.TB, tier string) Key {
	t.Helper()
	pw := "pw-" + tier + "-" + fmt.Sprint(time.Now().UnixNano())
	priv, pub, err := attest.GenerateKeyPair(context.Background(), func() ([]byte, error) { return []byte(pw), nil }, false)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Private: write(t, e.Dir, tier+".key", priv), Public: write(t, e.Dir, tier+".pub", pub), Password: pw,
		PasswordFile: write(t, e.Dir, tier+".pw", []byte(pw+"\n"))}
	e.Keys[tier] = k
	return k
}

// Repo commits files (name → content; a value starting with "->" makes a
// symlink to the rest) as repository name on the git server and returns
// its URL and commit.
func (e *Env) Repo(t testing.TB, name string, files map[string]string) (url, commit string) {
	t.Helper()
	work := e.WorkDir(name)
	_ = os.RemoveAll(work)
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	for p, body := range files {
		full := filepath.Join(work, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(body, "->"); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitCommit(t, work, "v1")
	c, err := e.Git.Publish(name, work)
	if err != nil {
		t.Fatal(err)
	}
	return e.Git.URL(name), c
}

// WorkDir is the work tree Repo committed repository name in (to publish
// the same history on another git server).
func (e *Env) WorkDir(name string) string { return filepath.Join(e.Dir, "work-"+name) }

// RepoPrefix is the allowed repository prefix of the git server.
func (e *Env) RepoPrefix() string { return "http://" + e.Git.Addr + "/" }

// Config writes server.yaml for tiers (each needs a key from TierKey)
// with store under the environment and returns its path.
func (e *Env) Config(t testing.TB, daggerCLI string, tiers ...Tier) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "listen: 127.0.0.1:0\ntls: {cert: server.crt, key: server.key, clientCAs: [ca.crt]}\nstore: store\n")
	fmt.Fprintf(&b, "auditLog: audit.jsonl\ndaggerCLI: %q\nshutdownGrace: 3s\ntiers:\n", daggerCLI)
	for _, tr := range tiers {
		k, ok := e.Keys[tr.Name]
		if !ok && tr.KMSKey == "" {
			k = e.TierKey(t, tr.Name)
		}
		if tr.Concurrency == 0 {
			tr.Concurrency = 1
		}
		if tr.Timeout == 0 {
			tr.Timeout = 5 * time.Minute
		}
		fmt.Fprintf(&b, "  - name: %s\n    rank: %d\n    builderId: %q\n    identities: [{field: spiffe, prefix: %q}]\n", tr.Name, tr.Rank, tr.BuilderID, tr.Identity)
		if tr.EngineConfig != "" {
			fmt.Fprintf(&b, "    engine: {config: %q}\n", tr.EngineConfig)
		} else {
			fmt.Fprintf(&b, "    engine: {address: %q}\n", "unix://"+tr.Engine)
		}
		fmt.Fprintf(&b, "    repositories: [%q]\n", e.RepoPrefix())
		if tr.Secrets != "" {
			fmt.Fprintf(&b, "    secrets: %q\n", tr.Secrets)
		}
		if tr.KMSKey != "" {
			fmt.Fprintf(&b, "    signing: {key: %q}\n", tr.KMSKey)
		} else {
			fmt.Fprintf(&b, "    signing: {key: %q, passwordFile: %q}\n", k.Private, k.PasswordFile)
		}
		fmt.Fprintf(&b, "    concurrency: %d\n    timeout: %s\n", tr.Concurrency, tr.Timeout)
	}
	return write(t, e.Dir, "server.yaml", []byte(b.String()))
}
