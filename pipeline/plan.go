package pipeline

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// node is one task of the plan with its resolved dependencies.
type node struct {
	task spec.Task
	// image is the resolved reference for tasks that do not continue from
	// another task.
	image string
	// deps are dependsOn plus from, deduplicated, in spec order.
	deps []string
}

// plan is the selected tasks in a topological order.
type plan struct {
	order []*node
}

// newPlan validates the spec's task graph and selects the requested tasks
// with everything they depend on. Errors wrap ErrInvalid and point into the
// spec file.
func newPlan(s *spec.Spec, requested []string) (*plan, error) {
	all := map[string]*node{}
	for _, t := range s.Tasks {
		if t.Name == "" {
			return nil, specErr(s, t.Pos, "task without a name")
		}
		if _, dup := all[t.Name]; dup {
			return nil, specErr(s, t.Pos, "task %q defined twice", t.Name)
		}
		n := &node{task: t}
		for _, d := range append(slices.Clone(t.DependsOn), t.From) {
			if d != "" && !slices.Contains(n.deps, d) {
				n.deps = append(n.deps, d)
			}
		}
		all[t.Name] = n
	}
	for _, t := range s.Tasks {
		n := all[t.Name]
		if err := validateTask(s, n, all); err != nil {
			return nil, err
		}
	}

	// Selection: requested tasks and their transitive dependencies.
	want := map[string]bool{}
	var mark func(string)
	mark = func(name string) {
		if want[name] {
			return
		}
		want[name] = true
		for _, d := range all[name].deps {
			mark(d)
		}
	}
	if len(requested) == 0 {
		for name := range all {
			want[name] = true
		}
	}
	for _, r := range requested {
		if _, ok := all[r]; !ok {
			return nil, fmt.Errorf("%w: unknown task %q (tasks: %s)", ErrInvalid, r, strings.Join(taskNames(s), ", "))
		}
		mark(r)
	}

	// Topological order, stable in spec order; reports the first cycle.
	p := &plan{}
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var visit func(n *node, stack []string) error
	visit = func(n *node, stack []string) error {
		switch state[n.task.Name] {
		case 1:
			return specErr(s, n.task.Pos, "dependency cycle: %s", strings.Join(append(stack, n.task.Name), " -> "))
		case 2:
			return nil
		}
		state[n.task.Name] = 1
		for _, d := range n.deps {
			if err := visit(all[d], append(stack, n.task.Name)); err != nil {
				return err
			}
		}
		state[n.task.Name] = 2
		if want[n.task.Name] {
			p.order = append(p.order, n)
		}
		return nil
	}
	for _, t := range s.Tasks {
		if err := visit(all[t.Name], nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func validateTask(s *spec.Spec, n *node, all map[string]*node) error {
	t := n.task
	for _, d := range n.deps {
		if d == t.Name {
			return specErr(s, t.Pos, "task %q depends on itself", t.Name)
		}
		if _, ok := all[d]; !ok {
			return specErr(s, t.Pos, "task %q depends on unknown task %q", t.Name, d)
		}
	}
	if t.Call != nil {
		return validateCall(s, t)
	}
	switch {
	case len(t.Run) > 0 && t.Sh != "":
		return specErr(s, t.Pos, "task %q sets both run and sh", t.Name)
	case len(t.Run) == 0 && t.Sh == "":
		return specErr(s, t.Pos, "task %q has neither run nor sh", t.Name)
	case t.From != "" && t.Image != "":
		return specErr(s, t.Pos, "task %q sets both image and from", t.Name)
	case t.Timeout < 0:
		return specErr(s, t.Pos, "task %q has a negative timeout", t.Name)
	}
	if t.From == "" {
		name := t.Image
		if name == "" {
			name = s.DefaultImage
		}
		if name == "" {
			return specErr(s, t.Pos, "task %q has no image, no from and the spec has no defaultImage", t.Name)
		}
		if img, ok := s.Images[name]; ok {
			n.image = img.Ref
		} else if strings.ContainsAny(name, "/:@") {
			n.image = name
		} else {
			return specErr(s, t.Pos, "task %q uses unknown image %q", t.Name, name)
		}
	}
	for _, m := range t.Mounts {
		if err := checkRel(m.Source); err != nil {
			return specErr(s, m.Pos, "mount source %q: %v", m.Source, err)
		}
		if !path.IsAbs(m.Target) {
			return specErr(s, m.Pos, "mount target %q must be an absolute path", m.Target)
		}
	}
	for _, c := range t.Cache {
		if !path.IsAbs(c.Path) {
			return specErr(s, c.Pos, "cache %q: path %q must be absolute", c.Name, c.Path)
		}
		if _, err := sharingMode(c.Sharing); err != nil {
			return specErr(s, c.Pos, "cache %q: %v", c.Name, err)
		}
	}
	for _, sec := range t.Secrets {
		if (sec.Env == "") == (sec.Path == "") {
			return specErr(s, sec.Pos, "secret %q: set exactly one of env and path", sec.Name)
		}
	}
	for _, o := range t.Outputs {
		if !path.IsAbs(o.Path) {
			return specErr(s, o.Pos, "output %q must be an absolute path in the container", o.Path)
		}
		if o.Type != "" && o.Type != "file" && o.Type != "dir" {
			return specErr(s, o.Pos, "output %q: type must be file or dir", o.Path)
		}
		if o.Dest != "" {
			// The parser refuses these too; a Spec built in code is
			// checked here, and the run directory's own files are never
			// an output's destination.
			if msg := spec.CheckDest(o.Dest); msg != "" {
				return specErr(s, o.Pos, "output dest %q %s", o.Dest, msg)
			}
			if reservedDest(o.Dest) {
				return specErr(s, o.Pos, "output dest %q would overwrite the run record; use a path under %s/", o.Dest, record.OutputDir)
			}
		}
	}
	return nil
}

// validateCall checks a call task: a function, a module and an output
// that stay inside their base directories (the gate checks the arguments).
func validateCall(s *spec.Spec, t spec.Task) error {
	c := t.Call
	switch {
	case c.Function == "":
		return specErr(s, c.Pos, "task %q calls no function", t.Name)
	case len(t.Run) > 0 || t.Sh != "" || t.Image != "" || t.From != "" || len(t.Mounts) > 0 || len(t.Cache) > 0 ||
		len(t.Secrets) > 0 || len(t.Outputs) > 0:
		return specErr(s, t.Pos, "task %q calls a module function and cannot run a container too", t.Name)
	case t.Timeout < 0:
		return specErr(s, t.Pos, "task %q has a negative timeout", t.Name)
	}
	if c.Module != "" {
		if err := checkRel(c.Module); err != nil {
			return specErr(s, c.Pos, "call module %q: %v", c.Module, err)
		}
	}
	if c.Output != "" {
		if err := checkRel(c.Output); err != nil {
			return specErr(s, c.Pos, "call output %q: %v", c.Output, err)
		}
	}
	return nil
}

// checkRel accepts relative paths that stay inside their base directory.
func checkRel(p string) error {
	if p == "" {
		return fmt.Errorf("empty path")
	}
	if filepath.IsAbs(p) {
		return fmt.Errorf("must be relative")
	}
	c := filepath.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("escapes its base directory")
	}
	return nil
}

func specErr(s *spec.Spec, pos spec.Pos, format string, args ...any) error {
	where := s.Path
	if where == "" {
		where = "pinline.yaml"
	}
	if pos.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", where, pos.Line, pos.Column)
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalid, where, fmt.Sprintf(format, args...))
}

func taskNames(s *spec.Spec) []string {
	names := make([]string, 0, len(s.Tasks))
	for _, t := range s.Tasks {
		names = append(names, t.Name)
	}
	return names
}

// command is the argv a task executes.
func command(t spec.Task) []string {
	if t.Sh != "" {
		return []string{"sh", "-c", t.Sh}
	}
	return t.Run
}

// CheckPlan validates the spec's task graph and the requested task names
// as Run would, without running anything (`pinline serve` refuses an
// unknown task before it queues a run). Errors wrap ErrInvalid.
func CheckPlan(s *spec.Spec, requested []string) error {
	_, err := newPlan(s, requested)
	return err
}
