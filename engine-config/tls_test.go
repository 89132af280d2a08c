package engineconfig

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteDevCertsAndServerTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	files, err := WriteDevCerts(dir, []string{"gw.internal", "10.1.2.3"}, []DevClient{
		{Name: "trusted", Spec: CertSpec{CN: "ci-main", URIs: []string{"spiffe://example.org/ci/main"}}},
		{Name: "pr", Spec: CertSpec{CN: "ci-pr", OU: []string{"contributors"}}},
	}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 8 {
		t.Errorf("wrote %d files, want 8: %v", len(files), files)
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".key") && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	y := strings.NewReplacer("gw.crt", "gateway.crt", "gw.key", "gateway.key").Replace(baseGateway)
	g, err := ParseGateway([]byte(y), dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := g.ServerTLS(now)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.RequireAndVerifyClientCert || cfg.ClientCAs == nil {
		t.Errorf("server TLS: min %x auth %v", cfg.MinVersion, cfg.ClientAuth)
	}
	leaf := cfg.Certificates[0].Leaf
	if err := leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if err := leaf.VerifyHostname("gw.internal"); err != nil {
		t.Error(err)
	}
	if err := leaf.VerifyHostname("10.1.2.3"); err != nil {
		t.Error(err)
	}
	if _, err := g.ServerTLS(now.Add(2 * time.Hour)); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired server cert: %v", err)
	}
	c, err := ParseClient([]byte(`{"engine":{"address":"tcp://127.0.0.1:1","tls":{"ca":"ca.crt","cert":"trusted.crt","key":"trusted.key"}}}`), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(now); err != nil {
		t.Errorf("dev client cert: %v", err)
	}
	if _, err := WriteDevCerts(filepath.Join(dir, "x"), nil, []DevClient{{Name: "../evil"}}, now, time.Hour); err == nil {
		t.Error("path-escaping certificate name accepted")
	}
}
