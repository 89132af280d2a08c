package engineconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testFiles writes a CA, a valid client pair, an expired client pair and
// an empty "CA" into a temp dir.
func testFiles(t *testing.T) (string, time.Time) {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	ca, err := NewCA("t", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w("ca.crt", ca.PEM)
	w("empty.crt", []byte("# no certificates here\n"))
	crt, key, err := ca.Issue(CertSpec{CN: "c", NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w("client.crt", crt)
	w("client.key", key)
	crt, key, err = ca.Issue(CertSpec{CN: "old", NotBefore: now.Add(-2 * time.Hour), NotAfter: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w("expired.crt", crt)
	w("expired.key", key)
	_, otherKey, err := ca.Issue(CertSpec{CN: "x", NotBefore: now, NotAfter: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w("other.key", otherKey)
	return dir, now
}

func TestClientConfig(t *testing.T) {
	t.Parallel()
	dir, now := testFiles(t)
	tlsBlock := func(ca, cert, key string) string {
		return `{"engine":{"address":"tcp://gw.example:8443","tls":{"ca":"` + ca + `","cert":"` + cert + `","key":"` + key + `"}}}`
	}
	tests := []struct {
		name      string
		json      string
		parseErr  string // error from ParseClient
		verifyErr string // error from Validate
		mtls      bool
	}{
		{name: "unix", json: `{"engine":{"address":"unix:///run/dagger/engine.sock"}}`},
		{name: "loopback tcp", json: `{"engine":{"address":"tcp://127.0.0.1:1234"}}`},
		{name: "localhost tcp", json: `{"engine":{"address":"tcp://localhost:1234"}}`},
		{name: "ipv6 loopback", json: `{"engine":{"address":"tcp://[::1]:1234"}}`},
		{name: "plaintext remote", json: `{"engine":{"address":"tcp://10.0.0.5:1234"}}`, parseErr: "plaintext tcp to non-loopback host"},
		{name: "mtls", json: tlsBlock("ca.crt", "client.crt", "client.key"), mtls: true},
		{name: "missing key", json: `{"engine":{"address":"tcp://gw:1","tls":{"ca":"ca.crt","cert":"client.crt"}}}`, parseErr: "missing key for certificate"},
		{name: "missing cert", json: `{"engine":{"address":"tcp://gw:1","tls":{"ca":"ca.crt","key":"client.key"}}}`, parseErr: "engine.tls.cert: missing"},
		{name: "missing ca", json: `{"engine":{"address":"tcp://gw:1","tls":{"cert":"client.crt","key":"client.key"}}}`, parseErr: "engine.tls.ca: missing"},
		{name: "tls on unix", json: `{"engine":{"address":"unix:///x.sock","tls":{"ca":"ca.crt","cert":"client.crt","key":"client.key"}}}`, parseErr: "needs a tcp:// address"},
		{name: "unreadable cert", json: tlsBlock("ca.crt", "nope.crt", "client.key"), verifyErr: "engine.tls.cert: unreadable"},
		{name: "unreadable ca", json: tlsBlock("nope.crt", "client.crt", "client.key"), verifyErr: "unreadable CA file"},
		{name: "ca without certificates", json: tlsBlock("empty.crt", "client.crt", "client.key"), verifyErr: "contains no PEM certificate"},
		{name: "expired client cert", json: tlsBlock("ca.crt", "expired.crt", "expired.key"), verifyErr: "certificate expired at"},
		{name: "key does not match", json: tlsBlock("ca.crt", "client.crt", "other.key"), verifyErr: "private key does not match"},
		{name: "unknown field", json: `{"engine":{"address":"unix:///x.sock","insecure":true}}`, parseErr: "unknown field"},
		{name: "bad scheme", json: `{"engine":{"address":"http://x:1"}}`, parseErr: "scheme must be unix or tcp"},
		{name: "relative unix", json: `{"engine":{"address":"unix://x.sock"}}`, parseErr: "want unix:///absolute/path"},
		{name: "no port", json: `{"engine":{"address":"tcp://127.0.0.1"}}`, parseErr: "want tcp://host:port"},
		{name: "missing address", json: `{"engine":{}}`, parseErr: "engine.address: missing"},
		{name: "syntax error position", json: "{\"engine\":\n {\"address\": }}", parseErr: "line 2, column"},
		{name: "truncated file", json: "{\"engine\":\n {\"address\": \"unix:///x\"", parseErr: "line 2, column 25: unexpected EOF"},
		{name: "stray closing brace", json: "{\"engine\": {\"address\": \"unix:///x\"}}}", parseErr: "line 1, column 37: trailing data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseClient([]byte(tc.json), dir)
			if tc.parseErr != "" {
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.parseErr) {
					t.Fatalf("ParseClient err = %v, want ErrInvalid containing %q", err, tc.parseErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseClient: %v", err)
			}
			err = c.Validate(now)
			if tc.verifyErr != "" {
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.verifyErr) {
					t.Fatalf("Validate err = %v, want ErrInvalid containing %q", err, tc.verifyErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if c.MTLS() != tc.mtls {
				t.Errorf("MTLS() = %v", c.MTLS())
			}
			if tc.mtls {
				cfg, err := c.TLSConfig(now)
				if err != nil {
					t.Fatal(err)
				}
				if cfg.MinVersion < 0x0303 || cfg.ServerName != "gw.example" || len(cfg.Certificates) != 1 {
					t.Errorf("tls config: min %x server %q certs %d", cfg.MinVersion, cfg.ServerName, len(cfg.Certificates))
				}
				if !filepath.IsAbs(c.Engine.TLS.Cert) || filepath.Dir(c.Engine.TLS.Cert) != dir {
					t.Errorf("cert path %q not resolved against %s", c.Engine.TLS.Cert, dir)
				}
			}
		})
	}
}

func TestLoadClientNamesFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "engine.json")
	if err := os.WriteFile(p, []byte(`{"engine":{"address":"tcp://8.8.8.8:1"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadClient(p)
	if err == nil || !strings.Contains(err.Error(), p) || !errors.Is(err, ErrInvalid) {
		t.Errorf("err = %v, want ErrInvalid naming %s", err, p)
	}
	if _, err := LoadClient(filepath.Join(dir, "missing.json")); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("missing file: err = %v, want a read error (not ErrInvalid)", err)
	}
	if err := os.WriteFile(p, []byte(`{"engine":{"address":"unix:///run/e.sock"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadClient(p)
	if err != nil || c.Engine.Address != "unix:///run/e.sock" || c.Path != p {
		t.Errorf("LoadClient = %+v, %v", c, err)
	}
}
