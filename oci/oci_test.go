package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is go-containerregistry's in-process registry on 127.0.0.1,
// with or without the referrers API, behind wrap (a hostile registry).
func testRegistry(t testing.TB, referrers bool, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.WithReferrersSupport(referrers), registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pushImage pushes a random image to host/team/app:tag and returns its digest reference.
func pushImage(t testing.TB, host, tag string) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(host + "/team/app:" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	dg, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(dg.String())
}

var testEvidence = Evidence{
	Bundle:        []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","test":1}`),
	Envelope:      []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`),
	PredicateType: "https://slsa.dev/provenance/v1",
	SBOM:          []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6"}`),
}

func kinds(f *Found) map[string]string {
	m := map[string]string{}
	for _, it := range f.Items {
		m[it.Kind] += string(it.Data)
	}
	return m
}

func TestAttachFetch(t *testing.T) {
	t.Parallel()
	for _, referrers := range []bool{true, false} {
		name := map[bool]string{true: "referrers API", false: "tag schema"}[referrers]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			host := testRegistry(t, referrers, nil)
			d := pushImage(t, host, "v1")
			for range 2 { // attaching twice changes nothing
				a, err := Attach(ctx, d, testEvidence, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(a.Referrers) != 2 || a.AttTag != AttTag(d).String() {
					t.Fatalf("attached = %+v", a)
				}
			}
			f, err := Fetch(ctx, d, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := kinds(f)
			want := map[string]string{KindBundle: string(testEvidence.Bundle), KindDSSE: string(testEvidence.Envelope), KindSBOM: string(testEvidence.SBOM)}
			if len(f.Items) != 3 || got[KindBundle] != want[KindBundle] || got[KindDSSE] != want[KindDSSE] || got[KindSBOM] != want[KindSBOM] {
				t.Fatalf("found %+v", f.Items)
			}
			for _, it := range f.Attestations() {
				if it.PredicateType != testEvidence.PredicateType {
					t.Errorf("%s: predicate type annotation %q", it.Source, it.PredicateType)
				}
			}
			// Without the referrers API the distribution spec's tag schema
			// holds the index; with it, no such tag is written.
			fallback := d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1))
			_, err = remote.Get(fallback)
			if referrers != (err != nil) {
				t.Errorf("referrers API %v: fallback tag %s: err %v", referrers, fallback, err)
			}
			// Another image has no evidence.
			other := pushImage(t, host, "v2")
			f, err = Fetch(ctx, other, Options{})
			if err != nil || len(f.Items) != 0 {
				t.Fatalf("other image: %+v, %v", f, err)
			}
		})
	}
}

func TestAttachMissingImage(t *testing.T) {
	t.Parallel()
	host := testRegistry(t, true, nil)
	d, _ := ParseDigestRef(host + "/team/app@sha256:" + strings.Repeat("a", 64))
	if _, err := Attach(context.Background(), d, testEvidence, Options{}); !errors.Is(err, ErrNoImage) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseDigestRef(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("ab", 32)
	for _, tt := range []struct{ in, want string }{
		{"r.example/a/b@sha256:" + hex, "r.example/a/b@sha256:" + hex},
		{"r.example:5000/a:v1@sha256:" + hex, "r.example:5000/a@sha256:" + hex},
		{"r.example/a:v1", ""},
		{"r.example/a@sha256:abc", ""},
		{"r.example/a@sha512:" + hex + hex, ""},
	} {
		d, err := ParseDigestRef(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrBadRef) {
				t.Errorf("%s: err = %v", tt.in, err)
			}
			continue
		}
		if err != nil || d.String() != tt.want {
			t.Errorf("%s = %v, %v", tt.in, d, err)
		}
	}
}

// rewrite serves requests for one path as if they were for another.
func rewrite(from, to string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == from {
				r.URL.Path = to
			}
			h.ServeHTTP(w, r)
		})
	}
}

// switchable lets a test install a hostile wrapper after setting up.
type switchable struct {
	h atomic.Pointer[func(http.Handler) http.Handler]
}

func (s *switchable) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := s.h.Load(); h != nil {
			(*h)(next).ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestFetchHostile(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T, referrers bool) (*switchable, name.Digest, name.Digest) {
		sw := &switchable{}
		host := testRegistry(t, referrers, sw.wrap)
		a, b := pushImage(t, host, "a"), pushImage(t, host, "b")
		if _, err := Attach(context.Background(), a, testEvidence, Options{}); err != nil {
			t.Fatal(err)
		}
		return sw, a, b
	}
	big := bytes.Repeat([]byte{'x'}, 1<<20)
	stream := func(w http.ResponseWriter, ct string) { // 256 MiB without Content-Length
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(200)
		for range 256 {
			if _, err := w.Write(big); err != nil {
				return
			}
		}
	}
	tests := []struct {
		name      string
		referrers bool
		hostile   func(a, b name.Digest) func(http.Handler) http.Handler
		target    func(a, b name.Digest) name.Digest
		want      string
	}{
		{"referrer of another digest (API)", true, func(a, b name.Digest) func(http.Handler) http.Handler {
			return rewrite("/v2/team/app/referrers/"+b.DigestStr(), "/v2/team/app/referrers/"+a.DigestStr())
		}, second, "has subject " + "sha256:"},
		{"referrer of another digest (tag schema)", false, func(a, b name.Digest) func(http.Handler) http.Handler {
			tag := func(d name.Digest) string {
				return "/v2/team/app/manifests/" + strings.Replace(d.DigestStr(), ":", "-", 1)
			}
			return rewrite(tag(b), tag(a))
		}, second, "has subject"},
		{"huge .att manifest", true, func(a, b name.Digest) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, ".att") && r.Method == http.MethodGet {
						stream(w, "application/vnd.oci.image.manifest.v1+json")
						return
					}
					h.ServeHTTP(w, r)
				})
			}
		}, first, "over the size limit"},
		{"huge referrers index", true, func(a, b name.Digest) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/referrers/") {
						stream(w, "application/vnd.oci.image.index.v1+json")
						return
					}
					h.ServeHTTP(w, r)
				})
			}
		}, first, "over the size limit"},
		{"huge content length", true, func(a, b name.Digest) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/blobs/") && r.Method == http.MethodGet {
						w.Header().Set("Content-Length", "1099511627776")
						w.WriteHeader(200)
						_, _ = w.Write(big)
						return
					}
					h.ServeHTTP(w, r)
				})
			}
		}, first, "over the limit"},
		{"blob not matching its digest", true, func(a, b name.Digest) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/blobs/") && r.Method == http.MethodGet {
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, r)
						body := bytes.ReplaceAll(rec.Body.Bytes(), []byte("1"), []byte("2"))
						body = bytes.ReplaceAll(body, []byte("e30="), []byte("e31="))
						body = bytes.ReplaceAll(body, []byte("1.6"), []byte("1.5"))
						for k, v := range rec.Header() {
							w.Header()[k] = v
						}
						w.WriteHeader(rec.Code)
						_, _ = w.Write(body)
						return
					}
					h.ServeHTTP(w, r)
				})
			}
		}, first, "sha256 checksum"},
		{"manifest not matching its digest", true, func(a, b name.Digest) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/manifests/sha256:") && r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, a.DigestStr()) {
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, r)
						body := bytes.Replace(rec.Body.Bytes(), []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2 `), 1)
						for k, v := range rec.Header() {
							w.Header()[k] = v
						}
						w.Header().Del("Content-Length")
						w.WriteHeader(rec.Code)
						_, _ = w.Write(body)
						return
					}
					h.ServeHTTP(w, r)
				})
			}
		}, first, "digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw, a, b := setup(t, tt.referrers)
			h := tt.hostile(a, b)
			sw.h.Store(&h)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			f, err := Fetch(context.Background(), tt.target(a, b), Options{Limits: Limits{Manifest: 1 << 20, Blob: 1 << 20}})
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("fetch = %+v, %v; want an error containing %q", f, err, tt.want)
			}
			t.Log(err)
			if !errors.Is(err, ErrHostile) {
				t.Errorf("err %v is not ErrHostile", err)
			}
			// Bounded memory: far below the 256 MiB the registry offered
			// (other parallel tests allocate too, hence the margin).
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 96<<20 {
				t.Errorf("fetch allocated %d MiB", grown>>20)
			}
		})
	}
}

func first(a, _ name.Digest) name.Digest  { return a }
func second(_, b name.Digest) name.Digest { return b }

// cosign's OCI 1.1 attestation referrers (artifact type
// application/vnd.in-toto+json, DSSE layers) are read as envelopes.
func TestFetchInTotoReferrer(t *testing.T) {
	t.Parallel()
	host := testRegistry(t, true, nil)
	d := pushImage(t, host, "v1")
	subj, err := Head(context.Background(), d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := static.NewLayer([]byte("{}"), MediaTypeEmpty)
	env := static.NewLayer(testEvidence.Envelope, MediaTypeDSSE)
	for _, l := range []v1.Layer{cfg, env} {
		if err := remote.WriteLayer(d.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	cd, _ := cfg.Digest()
	ed, _ := env.Digest()
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: ArtifactTypeInToto,
		Config: v1.Descriptor{MediaType: MediaTypeEmpty, Size: 2, Digest: cd},
		Layers: []v1.Descriptor{{MediaType: MediaTypeDSSE, Size: int64(len(testEvidence.Envelope)), Digest: ed,
			Annotations: map[string]string{AnnotationPredicate: testEvidence.PredicateType}}},
		Subject: &v1.Descriptor{MediaType: subj.MediaType, Size: subj.Size, Digest: subj.Digest}}
	raw, _ := json.Marshal(m)
	h, _, _ := v1.SHA256(bytes.NewReader(raw))
	if err := remote.Put(d.Context().Digest(h.String()), rawManifest{raw: raw, mt: types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	f, err := Fetch(context.Background(), d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 1 || f.Items[0].Kind != KindDSSE || string(f.Items[0].Data) != string(testEvidence.Envelope) ||
		f.Items[0].PredicateType != testEvidence.PredicateType {
		t.Fatalf("found %+v", f.Items)
	}
}
