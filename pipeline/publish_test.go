package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

func TestPlanRejectsImageOutputs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		out  spec.Output
		want string
	}{
		{"no host", spec.Output{Type: spec.OutputImage, Ref: "team/app:v1"}, "registry host explicitly"},
		{"digest", spec.Output{Type: spec.OutputImage, Ref: "r.example/app@sha256:" + strings.Repeat("a", 64)}, "without a digest"},
		{"dest", spec.Output{Type: spec.OutputImage, Ref: "r.example/app:v1", Dest: "x"}, "has a dest"},
		{"relative path", spec.Output{Type: spec.OutputImage, Ref: "r.example/app:v1", Path: "out"}, "absolute directory"},
		{"container two platforms", spec.Output{Type: spec.OutputImage, Ref: "r.example/app:v1", Platforms: []string{"linux/amd64", "linux/arm64"}},
			"assemble the image from a directory"},
		{"bad platform", spec.Output{Type: spec.OutputImage, Ref: "r.example/app:v1", Platforms: []string{"linux"}}, "os/arch"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tk := task("a")
			tk.Outputs = []spec.Output{tt.out}
			_, err := newPlan(testSpec(tk), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	tk := task("a")
	tk.Outputs = []spec.Output{{Type: spec.OutputImage, Ref: "r.example:5000/app:v1", Path: "/out/root", Platforms: []string{"linux/amd64", "linux/arm64"}}}
	if _, err := newPlan(testSpec(tk), nil); err != nil {
		t.Errorf("index from a directory: %v", err)
	}
}

// The host backend cannot build images: a spec with an image output is
// refused before anything runs.
func TestHostBackendRefusesImageOutputs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := hostSpec(t, root)
	s.Tasks[0].Outputs = append(s.Tasks[0].Outputs, spec.Output{Type: spec.OutputImage, Ref: "127.0.0.1:5/app:v1"})
	_, err := Run(context.Background(), Options{Spec: s, Root: root, Tier: "local", Backend: BackendHost, Gate: PolicyGate{}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "host backend cannot build images") {
		t.Fatalf("err = %v", err)
	}
}

// A published image is a provenance subject: name = the repository,
// digest = the manifest digest.
func TestBuildDescriptionImageSubjects(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("d", 64)
	run := &record.Run{ID: "r", Outputs: []record.Output{{File: "outputs/a", SHA256: strings.Repeat("e", 64)}},
		Published: []record.PublishedImage{{Task: "a", Ref: "r.example/team/app:v1", Repository: "r.example/team/app", Digest: "sha256:" + hex}}}
	d := BuildDescription(run, "test")
	if len(d.Subjects) != 2 || d.Subjects[1].Name != "r.example/team/app" || d.Subjects[1].SHA256 != hex {
		t.Fatalf("subjects %+v", d.Subjects)
	}
}
