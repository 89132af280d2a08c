package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pinline/pinline/spec"
)

const testDigest = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testSpec(tasks ...spec.Task) *spec.Spec {
	return &spec.Spec{
		Path:         "pinline.yaml",
		Name:         "t",
		Images:       map[string]spec.Image{"bb": {Name: "bb", Ref: "127.0.0.1:5000/bb" + testDigest}},
		DefaultImage: "bb",
		Tasks:        tasks,
	}
}

func task(name string, deps ...string) spec.Task {
	return spec.Task{Name: name, Run: []string{"true"}, DependsOn: deps, Pos: spec.Pos{Line: 3, Column: 3}}
}

func TestPlanOrderAndSelection(t *testing.T) {
	t.Parallel()
	from := task("build")
	from.From = "test"
	s := testSpec(task("lint"), from, task("test", "lint"), task("other"))
	tests := []struct {
		name      string
		requested []string
		want      []string
	}{
		{"all in dependency order", nil, []string{"lint", "test", "build", "other"}},
		{"one task pulls its dependencies", []string{"build"}, []string{"lint", "test", "build"}},
		{"independent task alone", []string{"other"}, []string{"other"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := newPlan(s, tc.requested)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range p.order {
				got = append(got, n.task.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanRejects(t *testing.T) {
	t.Parallel()
	withRunAndSh := task("a")
	withRunAndSh.Sh = "echo"
	noCmd := spec.Task{Name: "a"}
	fromAndImage := task("b")
	fromAndImage.From, fromAndImage.Image = "a", "bb"
	unknownImage := task("a")
	unknownImage.Image = "nope"
	escMount := task("a")
	escMount.Mounts = []spec.Mount{{Source: "../etc", Target: "/x"}}
	relTarget := task("a")
	relTarget.Mounts = []spec.Mount{{Source: ".", Target: "x"}}
	badOut := task("a")
	badOut.Outputs = []spec.Output{{Path: "/o", Dest: "../../x"}}
	badSecret := task("a")
	badSecret.Secrets = []spec.Secret{{Name: "s", Env: "S", Path: "/s"}}
	badSharing := task("a")
	badSharing.Cache = []spec.Cache{{Name: "c", Path: "/c", Sharing: "sometimes"}}
	tests := []struct {
		name      string
		s         *spec.Spec
		requested []string
		want      string
	}{
		{"cycle", testSpec(task("a", "b"), task("b", "a")), nil, "dependency cycle: a -> b -> a"},
		{"self", testSpec(task("a", "a")), nil, "depends on itself"},
		{"unknown dependency", testSpec(task("a", "zzz")), nil, `unknown task "zzz"`},
		{"unknown requested", testSpec(task("a")), []string{"zzz"}, `unknown task "zzz"`},
		{"duplicate", testSpec(task("a"), task("a")), nil, "defined twice"},
		{"run and sh", testSpec(withRunAndSh), nil, "both run and sh"},
		{"no command", testSpec(noCmd), nil, "neither run nor sh"},
		{"from and image", testSpec(task("a"), fromAndImage), nil, "both image and from"},
		{"unknown image", testSpec(unknownImage), nil, `unknown image "nope"`},
		{"mount escapes", testSpec(escMount), nil, "escapes"},
		{"relative target", testSpec(relTarget), nil, "absolute"},
		{"output dest escapes", testSpec(badOut), nil, "must stay inside the run directory"},
		{"secret env and path", testSpec(badSecret), nil, "exactly one of env and path"},
		{"sharing", testSpec(badSharing), nil, "sharing must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newPlan(tc.s, tc.requested)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestPlanErrorsPointIntoTheSpec(t *testing.T) {
	t.Parallel()
	_, err := newPlan(testSpec(task("a", "zzz")), nil)
	if err == nil || !strings.Contains(err.Error(), "pinline.yaml:3:3:") {
		t.Fatalf("err = %v, want position pinline.yaml:3:3", err)
	}
}
