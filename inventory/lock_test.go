package inventory

import (
	"errors"
	"testing"
)

func TestParseLockCorpus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file                                 string
		entries, floating, images, withParam int
	}{
		{"kpenfound__greetings-api__dagger.lock", 31, 8, 8, 2},
		{"DensoSVIC__carla__dagger.lock", 3, 0, 3, 0},
	}
	for _, tt := range tests {
		entries, imgs, err := ParseLock("dagger.lock", readCorpus(t, tt.file))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		var floating, params int
		for _, e := range entries {
			if e.Floating {
				floating++
			}
			if len(e.Params) > 0 {
				params++
			}
			if e.Pos.Line < 5 || e.Pos.Column != 1 {
				t.Errorf("%s: entry %v at %+v", tt.file, e.Key, e.Pos)
			}
		}
		if len(entries) != tt.entries || floating != tt.floating || len(imgs) != tt.images || params != tt.withParam {
			t.Errorf("%s: entries=%d floating=%d images=%d params=%d, want %d %d %d %d", tt.file,
				len(entries), floating, len(imgs), params, tt.entries, tt.floating, tt.images, tt.withParam)
		}
		for _, img := range imgs {
			if img.Digest == "" || img.Origin != "lock" || img.Via != "oci-sha" || img.Registry != "docker.io" && img.Registry != "mcr.microsoft.com" {
				t.Errorf("%s: image %+v", tt.file, img)
			}
		}
	}
}

func TestParseLockEntry(t *testing.T) {
	t.Parallel()
	in := "[[\"version\",\"2\"]]\n  [\"\",\"git-latest\",[\"github.com/dagger/node\",[\"version\",\"v0.2.0\"]],\"refs/tags/v0.2.0\"]\n"
	entries, _, err := ParseLock("dagger.lock", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	e := entries[0]
	if e.Kind != "git-latest" || !e.Floating || e.Key[0] != "github.com/dagger/node" || e.Params["version"] != "v0.2.0" ||
		e.Value != "refs/tags/v0.2.0" || e.Pos.Line != 2 || e.Pos.Column != 3 {
		t.Errorf("entry = %+v", e)
	}
}

func TestParseLockErrors(t *testing.T) {
	t.Parallel()
	const h = "[[\"version\",\"2\"]]\n"
	tests := []struct{ in, want string }{
		{"", `dagger.lock:1:1: dagger.lock has no [["version","2"]] header`},
		{"# only a comment\n", `dagger.lock:1:1: dagger.lock has no [["version","2"]] header`},
		{"[[\"version\",\"3\"]]\n", "dagger.lock:1:13: unsupported dagger.lock version 3 (want 2)"},
		{"[\"\",\"oci-sha\",[\"x\"],\"y\"]\n", `dagger.lock:1:1: dagger.lock must start with [["version","2"]]`},
		{h + "[\"\",\"oci-sha\",[\"x\"]]\n", "dagger.lock:2:1: lock entry must be a 4-element array [scope, kind, key, value]"},
		{h + "[\"\",\"npm-sha\",[\"x\"],\"y\"]\n", `dagger.lock:2:5: unknown lock entry kind "npm-sha"`},
		{h + "[\"\",\"git-sha\",\"x\",\"y\"]\n", "dagger.lock:2:15: lock entry key must be a non-empty array"},
		{h + "[\"\",\"git-sha\",[\"x\"],1]\n", "dagger.lock:2:21: lock entry value must be a string"},
		{h + "[\"\",\"git-sha\",[1],\"y\"]\n", "dagger.lock:2:16: lock entry key elements must be strings or [name, value] pairs"},
		{h + "[\"\",\"oci-sha\",[\"alpine:3\"],\"sha256:abc\"]\n", `dagger.lock:2:28: oci-sha entry: digest "sha256:abc" is not sha256 with lower-case hex`},
		{h + "\n[\"\",\"git-sha\",[\"x\"],\"y\"\n", "dagger.lock:3:24: invalid JSON: unexpected end of input"},
	}
	for _, tt := range tests {
		_, _, err := ParseLock("dagger.lock", []byte(tt.in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v is not a *ParseError", tt.in, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.in, err, tt.want)
		}
	}
}
