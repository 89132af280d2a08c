package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

func matrixSpec() *spec.Spec {
	m := task("test", "lint")
	m.Matrix = &spec.Matrix{Axes: []spec.Axis{{Name: "go", Values: []string{"1.25", "1.26"}}, {Name: "os", Values: []string{"linux"}}}}
	m.Env = map[string]string{"LEVEL": "task"}
	m.Outputs = []spec.Output{{Path: "/out/report.txt"}, {Path: "/out/dist", Dest: "dist", Type: "dir"}}
	m.Services = []spec.Binding{{Name: "web"}}
	s := testSpec(task("lint"), m, task("after", "test"))
	s.Env = map[string]string{"CI": "true", "LEVEL": "top"}
	s.Services = map[string]spec.Service{"web": {Name: "web", Image: "bb", Ports: []int{8080}, Run: []string{"httpd", "-f"}, Env: map[string]string{"A": "1"}}}
	return s
}

// TestPlanExpandsMatrix: instances are named and ordered stably, see the
// merged environment, export under outputs/<instance>/, and dependents
// wait for every instance.
func TestPlanExpandsMatrix(t *testing.T) {
	t.Parallel()
	s := matrixSpec()
	p, err := newPlan(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range p.order {
		names = append(names, n.task.Name)
	}
	want := []string{"lint", "test[go=1.25,os=linux]", "test[go=1.26,os=linux]", "after"}
	if d := cmp.Diff(want, names); d != "" {
		t.Fatalf("order: %s", d)
	}
	inst := p.order[2]
	if d := cmp.Diff(map[string]string{"CI": "true", "LEVEL": "task", "go": "1.26", "os": "linux"}, inst.task.Env); d != "" {
		t.Errorf("env: %s", d)
	}
	if d := cmp.Diff(map[string]string{"CI": "true", "LEVEL": "top"}, p.order[0].task.Env); d != "" {
		t.Errorf("plain task env: %s", d)
	}
	if inst.task.Outputs[0].Dest != "outputs/test[go=1.26,os=linux]/report.txt" || inst.task.Outputs[1].Dest != "outputs/test[go=1.26,os=linux]/dist" {
		t.Errorf("outputs = %+v", inst.task.Outputs)
	}
	if s.Tasks[1].Outputs[0].Dest != "" {
		t.Error("expanding changed the spec's own task")
	}
	if d := cmp.Diff([]string{"test[go=1.25,os=linux]", "test[go=1.26,os=linux]"}, p.order[3].deps); d != "" {
		t.Errorf("dependent waits for: %s", d)
	}
	if len(inst.services) != 1 || inst.services[0].ref != s.Images["bb"].Ref {
		t.Errorf("services = %+v", inst.services)
	}

	// Selecting one instance by name runs it and its dependencies only.
	p, err = newPlan(s, []string{"test[go=1.26,os=linux]"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.order) != 2 || p.order[1].task.Name != "test[go=1.26,os=linux]" {
		t.Errorf("selected %d instances", len(p.order))
	}

	// The record names each instance with its task and values, and lists
	// the service (image among the run's images) once with its tasks.
	o := &Options{Spec: s, Now: time.Now, Tier: "local"}
	p, _ = newPlan(s, nil)
	rec := newRecord(o, p)
	rt := rec.Tasks[1]
	if rt.Name != "test[go=1.25,os=linux]" || rt.MatrixOf != "test" ||
		!cmp.Equal(rt.Matrix, []record.MatrixValue{{Name: "go", Value: "1.25"}, {Name: "os", Value: "linux"}}) ||
		!cmp.Equal(rt.Services, []string{"web"}) || !cmp.Equal(rt.EnvKeys, []string{"CI", "LEVEL", "go", "os"}) {
		t.Errorf("record task = %+v", rt)
	}
	wantSvc := []record.Service{{Name: "web", Image: s.Images["bb"].Ref, Digest: refDigest(s.Images["bb"].Ref), Command: []string{"httpd", "-f"},
		EnvKeys: []string{"A"}, Ports: []int{8080}, Tasks: []string{"test[go=1.25,os=linux]", "test[go=1.26,os=linux]"}}}
	if d := cmp.Diff(wantSvc, rec.Services); d != "" {
		t.Errorf("services: %s", d)
	}
	if len(rec.Images) != 1 {
		t.Errorf("images = %+v (service and tasks share bb)", rec.Images)
	}
}

func TestPlanRejectsMatrixAndServiceMistakes(t *testing.T) {
	t.Parallel()
	fromMatrix := matrixSpec()
	after := task("after")
	after.From = "test"
	fromMatrix.Tasks[2] = after
	unknown := matrixSpec()
	unknown.Tasks[1].Services = []spec.Binding{{Name: "db", Pos: spec.Pos{Line: 9, Column: 5}}}
	huge := testSpec()
	for i := range 5 {
		tk := task("t" + string(rune('a'+i)))
		vals := make([]string, 64)
		for j := range vals {
			vals[j] = "v" + strings.Repeat("x", j)
		}
		tk.Matrix = &spec.Matrix{Axes: []spec.Axis{{Name: "a", Values: vals}}}
		huge.Tasks = append(huge.Tasks, tk)
	}
	for _, tc := range []struct {
		name string
		s    *spec.Spec
		want string
	}{
		{"from a matrix task", fromMatrix, `from names matrix task "test"`},
		{"unknown service", unknown, `pinline.yaml:9:5: task "test" binds unknown service "db"`},
		{"instance bound", huge, "more than 256 task instances"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newPlan(tc.s, nil)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}
