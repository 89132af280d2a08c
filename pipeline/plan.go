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

// node is one task instance of the plan with its resolved dependencies:
// a task, or one combination of a task's matrix.
type node struct {
	// task is the instance: Name is the instance name (the task's, or
	// task[axis=value,...]), Env the environment it gets (the spec's env,
	// the task's, the matrix values) and, for a matrix instance, output
	// destinations under outputs/<instance>/.
	task spec.Task
	// base is the spec task's name; values the matrix values.
	base   string
	values []spec.Value
	// image is the resolved reference for tasks that do not continue from
	// another task.
	image string
	// deps are the instances of dependsOn plus from, deduplicated, in spec
	// order.
	deps []string
	// services are the services the task binds, resolved.
	services []boundService
}

// boundService is a service a task binds, with its image reference.
type boundService struct {
	spec.Service
	ref string
}

// plan is the selected task instances in a topological order.
type plan struct {
	order []*node
}

// newPlan validates the spec's task graph, expands matrices and selects
// the requested tasks (a task name selects all its instances, an instance
// name that instance) with everything they depend on. Errors wrap
// ErrInvalid and point into the spec file.
func newPlan(s *spec.Spec, requested []string) (*plan, error) {
	groups := map[string][]*node{}
	all := map[string]*node{}
	var order []*node
	total := 0
	for _, t := range s.Tasks {
		if t.Name == "" {
			return nil, specErr(s, t.Pos, "task without a name")
		}
		if _, dup := groups[t.Name]; dup {
			return nil, specErr(s, t.Pos, "task %q defined twice", t.Name)
		}
		insts := t.Instances()
		if total += len(insts); total > spec.MaxInstances {
			return nil, specErr(s, t.Pos, "the spec expands to more than %d task instances (matrix)", spec.MaxInstances)
		}
		for _, in := range insts {
			it := t
			it.Name = in.Name
			it.Env = s.EnvFor(&t, in)
			if len(in.Values) > 0 {
				it.Outputs = instanceOutputs(t.Outputs, in.Name)
			}
			n := &node{task: it, base: t.Name, values: in.Values}
			groups[t.Name] = append(groups[t.Name], n)
			all[in.Name] = n
			order = append(order, n)
		}
	}
	for _, t := range s.Tasks {
		for _, n := range groups[t.Name] {
			if err := validateTask(s, n, groups); err != nil {
				return nil, err
			}
			for _, d := range append(slices.Clone(t.DependsOn), t.From) {
				for _, dn := range groups[d] {
					if !slices.Contains(n.deps, dn.task.Name) {
						n.deps = append(n.deps, dn.task.Name)
					}
				}
			}
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
		switch {
		case groups[r] != nil:
			for _, n := range groups[r] {
				mark(n.task.Name)
			}
		case all[r] != nil:
			mark(r)
		default:
			return nil, fmt.Errorf("%w: unknown task %q (tasks: %s)", ErrInvalid, r, strings.Join(taskNames(s), ", "))
		}
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
	for _, n := range order {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// instanceOutputs places a matrix instance's outputs under
// outputs/<instance>/: their dest (or the path's base name) below it, so
// that instances never export to the same place.
func instanceOutputs(outs []spec.Output, instance string) []spec.Output {
	out := make([]spec.Output, len(outs))
	for i, o := range outs {
		dest := o.Dest
		if dest == "" {
			dest = path.Base(o.Path)
			if dest == "/" || dest == "." {
				dest = "root"
			}
		}
		o.Dest = path.Join(record.OutputDir, instance, dest)
		out[i] = o
	}
	return out
}

func validateTask(s *spec.Spec, n *node, groups map[string][]*node) error {
	t := n.task
	for _, d := range append(slices.Clone(t.DependsOn), t.From) {
		switch {
		case d == "":
		case d == n.base:
			return specErr(s, t.Pos, "task %q depends on itself", n.base)
		case groups[d] == nil:
			return specErr(s, t.Pos, "task %q depends on unknown task %q", n.base, d)
		case d == t.From && len(groups[d]) > 1:
			return specErr(s, t.Pos, "task %q: from names matrix task %q; use dependsOn", n.base, d)
		}
	}
	if err := bindServices(s, n); err != nil {
		return err
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
		if o.Type == spec.OutputImage {
			if err := validateImageOutput(s, o); err != nil {
				return err
			}
			continue
		}
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

// validateImageOutput checks an image output built in code as the parser
// checks a parsed one, and what only the executor knows: a task's own
// container is built for the engine's platform, so it publishes one
// platform; several need an image assembled from a directory.
func validateImageOutput(s *spec.Spec, o spec.Output) error {
	if msg := spec.CheckImageRef(o.Ref); msg != "" {
		return specErr(s, o.Pos, "image output ref %q %s", o.Ref, msg)
	}
	if o.Platforms != nil {
		if msg := spec.CheckPlatforms(o.Platforms); msg != "" {
			return specErr(s, o.Pos, "image output %s platforms: %s", o.Ref, msg)
		}
	}
	switch {
	case o.Dest != "":
		return specErr(s, o.Pos, "image output %s has a dest; images are pushed to their ref", o.Ref)
	case o.Path != "" && !path.IsAbs(o.Path):
		return specErr(s, o.Pos, "image output %s: path %q must be an absolute directory in the container", o.Ref, o.Path)
	case o.Path == "" && len(o.Platforms) > 1:
		return specErr(s, o.Pos, "image output %s: a task's container is built for one platform; to publish %d platforms assemble the image from a directory (path: /out/rootfs)", o.Ref, len(o.Platforms))
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
		len(t.Secrets) > 0 || len(t.Outputs) > 0 || len(t.Services) > 0 || t.Push != nil || t.Matrix != nil:
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
