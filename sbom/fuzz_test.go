package sbom

import (
	"bytes"
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"
)

// FuzzReadGoBinary feeds arbitrary bytes to the build info reader: it must
// return an error or a result, never panic.
func FuzzReadGoBinary(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Add([]byte("MZ\x90\x00"))
	f.Add([]byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"))
	f.Add(append([]byte("\xff Go buildinf:\x08\x02"), make([]byte, 64)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		gb, err := ReadGoBinary(bytes.NewReader(data))
		if err == nil && gb == nil {
			t.Fatal("nil result without error")
		}
		if err == nil {
			_ = gb.components("output:x")
		}
	})
}

// FuzzParseImageRef checks that any reference yields a valid purl and that
// rendering and re-parsing is stable.
func FuzzParseImageRef(f *testing.F) {
	for _, s := range []string{"alpine", "alpine:3.20", "docker.io/library/alpine@" + digestA,
		"localhost:5000/a/b:c@sha256:00", "registry.example:5000/team/builder:v2", ":", "@", "a/b/c/d:e:f@g@h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		im, err := parseImageRef(ref)
		if err != nil {
			return
		}
		if _, err := packageurl.FromString(im.purl()); err != nil {
			t.Fatalf("purl %q of %q does not parse: %v", im.purl(), ref, err)
		}
		again, err := parseImageRef(im.String())
		if err != nil || again.String() != im.String() {
			t.Fatalf("%q -> %q -> %q", ref, im.String(), again.String())
		}
		_ = im.component()
	})
}

// FuzzParseModuleSource checks that module sources never panic and that
// remote ones give a parseable purl.
func FuzzParseModuleSource(f *testing.F) {
	for _, s := range []string{"github.com/dagger/go@v0.1.0", "../ci", "gitlab.com/a/b/c/d@" + commitA,
		"git@github.com:a/b.git@main", "https://github.com/a/b", "a/b/c", "github.com//@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, ok := parseModuleSource(src)
		if !ok {
			return
		}
		m := newRemoteModule("", "dependency", "", &r, nil)
		p := m.purl()
		if _, err := packageurl.FromString(p); err != nil && !strings.ContainsAny(src, "\x00") {
			t.Fatalf("purl %q of %q does not parse: %v", p, src, err)
		}
		_ = m.component()
	})
}
