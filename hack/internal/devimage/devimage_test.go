package devimage

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

func TestLoopback(t *testing.T) {
	for _, c := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:5123", true}, {"[::1]:80", true}, {"127.1.2.3:1", true},
		{"10.0.0.1:5000", false}, {"localhost:5000", false}, {"127.0.0.1", false}, {"example.invalid:443", false},
	} {
		if err := Loopback(c.addr); (err == nil) != c.ok {
			t.Errorf("Loopback(%q) = %v, want ok=%v", c.addr, err, c.ok)
		}
	}
}

// TestPushReproducible: the same layers and config give the same digest,
// and Push returns a reference pinned by it; a non-loopback target is
// refused before any network.
func TestPushReproducible(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")
	layer, err := random.Layer(256, "application/vnd.oci.image.layer.v1.tar+gzip")
	if err != nil {
		t.Fatal(err)
	}
	cfg := v1.Config{Env: []string{"A=1"}, Cmd: []string{"sh"}}
	a, err := Image(cfg, layer)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Image(cfg, layer)
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Fatalf("digests differ: %s %s", da, db)
	}
	p, err := Push(context.Background(), reg, "x/y", "t1", a)
	if err != nil {
		t.Fatal(err)
	}
	if p.Digest != da.String() || p.Ref != reg+"/x/y:t1@"+da.String() || p.Tag != reg+"/x/y:t1" {
		t.Errorf("pushed %+v, want digest %s", p, da)
	}
	if _, err := Push(context.Background(), "10.0.0.1:5000", "x/y", "t1", a); err == nil {
		t.Error("a non-loopback registry was accepted")
	}
}
