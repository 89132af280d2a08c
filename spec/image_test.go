package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseImageOutputs(t *testing.T) {
	t.Parallel()
	s, err := Load("testdata/specs/image.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Tasks[0].Outputs
	want := []Output{
		{Type: OutputImage, Ref: "127.0.0.1:5123/team/app:v1", Pos: Pos{10, 9}},
		{Type: OutputImage, Path: "/out/root", Ref: "127.0.0.1:5123/team/root:v1", Platforms: []string{"linux/amd64", "linux/arm64"}, Pos: Pos{11, 9}},
		{Path: "/etc/hello", Pos: Pos{12, 9}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("outputs (-want +got):\n%s", d)
	}
}

func TestParseImageOutputErrors(t *testing.T) {
	t.Parallel()
	head := "version: 1\ntasks:\n"
	out := func(o string) string { return head + "  a: {image: a:1, run: [x], outputs: [" + o + "]}\n" }
	for _, tt := range []struct{ name, in, want string }{
		{"no ref", out("{type: image}"), "s.yaml:3:39: task a: an image output needs a ref (host/repository:tag)"},
		{"dest", out("{type: image, ref: r.example:5000/a:1, dest: x}"), "an image output is pushed to its ref and has no dest"},
		{"digest", out("{type: image, ref: \"r.example/a@sha256:00\"}"), "without a digest"},
		{"no host", out("{type: image, ref: team/app:v1}"), "must name its registry host explicitly"},
		{"no tag", out("{type: image, ref: r.example/app}"), "is not host/repository:tag"},
		{"upper", out("{type: image, ref: r.example/App:v1}"), "is not host/repository:tag"},
		{"platform", out("{type: image, ref: r.example/a:1, platforms: [amd64]}"), `"amd64" is not os/arch[/variant]`},
		{"platform dup", out("{type: image, ref: r.example/a:1, platforms: [linux/amd64, linux/amd64]}"), "listed twice"},
		{"platform empty", out("{type: image, ref: r.example/a:1, platforms: []}"), "list at least one platform"},
		{"ref on file", out("{path: /o, ref: r.example/a:1}"), "ref and platforms are for outputs of type image"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("s.yaml", []byte(tt.in))
			var se *Error
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}
