package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// validate checks the cross references of a parsed spec.
func validate(s *Spec, file string) error {
	fail := func(pos Pos, format string, args ...any) error {
		return &Error{File: file, Line: pos.Line, Column: pos.Column, Msg: fmt.Sprintf(format, args...)}
	}
	if s.DefaultImage != "" && !s.resolvable(s.DefaultImage) {
		return fail(s.Pos, "defaultImage %q is neither a name in images nor an image reference", s.DefaultImage)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Services)) {
		sv := s.Services[name]
		if !s.resolvable(sv.Image) {
			return fail(sv.Pos, "service %s: image %q is neither a name in images nor an image reference", name, sv.Image)
		}
	}
	byName := make(map[string]*Task, len(s.Tasks))
	instances := 0
	for i := range s.Tasks {
		byName[s.Tasks[i].Name] = &s.Tasks[i]
		instances += len(s.Tasks[i].Instances())
		if instances > MaxInstances {
			return fail(s.Tasks[i].Pos, "the spec expands to more than %d task instances (matrix)", MaxInstances)
		}
	}
	for _, t := range s.Tasks {
		if t.Call != nil {
			if err := validateCall(&t, fail); err != nil {
				return err
			}
		}
		switch {
		case t.Call != nil:
		case t.Run != nil && t.Sh != "":
			return fail(t.Pos, "task %s has both run and sh; use one", t.Name)
		case t.Run == nil && t.Sh == "":
			return fail(t.Pos, "task %s needs run, sh or call", t.Name)
		case t.Image != "" && t.From != "":
			return fail(t.Pos, "task %s has both image and from; use one", t.Name)
		case t.Image != "" && !s.resolvable(t.Image):
			return fail(t.Pos, "task %s: image %q is neither a name in images nor an image reference", t.Name, t.Image)
		case t.Image == "" && t.From == "" && s.DefaultImage == "":
			return fail(t.Pos, "task %s needs image or from (or a defaultImage)", t.Name)
		}
		if t.From != "" {
			if byName[t.From] == nil {
				return fail(t.Pos, "task %s: from names unknown task %q", t.Name, t.From)
			}
		}
		for _, d := range t.DependsOn {
			if byName[d] == nil {
				return fail(t.Pos, "task %s: dependsOn names unknown task %q", t.Name, d)
			}
		}
		if err := validateTaskExtras(s, &t, byName, fail); err != nil {
			return err
		}
	}
	if cyc := findCycle(s.Tasks, byName); cyc != nil {
		return fail(byName[cyc[0]].Pos, "task dependency cycle: %s", strings.Join(cyc, " -> "))
	}
	return nil
}

// validateCall checks that a call task has nothing of a container task.
func validateCall(t *Task, fail func(Pos, string, ...any) error) error {
	var extra []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"image", t.Image != ""}, {"from", t.From != ""}, {"run", t.Run != nil}, {"sh", t.Sh != ""},
		{"workdir", t.Workdir != ""}, {"env", t.Env != nil}, {"user", t.User != ""}, {"mounts", t.Mounts != nil},
		{"cache", t.Cache != nil}, {"secrets", t.Secrets != nil}, {"outputs", t.Outputs != nil},
		{"services", t.Services != nil}, {"matrix", t.Matrix != nil}, {"push", t.Push != nil}} {
		if f.set {
			extra = append(extra, f.name)
		}
	}
	if len(extra) > 0 {
		return fail(t.Pos, "task %s calls a module function and cannot also have %s", t.Name, strings.Join(extra, ", "))
	}
	return nil
}

// validateTaskExtras checks a task's services, matrix and push.
func validateTaskExtras(s *Spec, t *Task, byName map[string]*Task, fail func(Pos, string, ...any) error) error {
	for _, b := range t.Services {
		if _, ok := s.Services[b.Name]; !ok {
			return fail(b.Pos, "task %s: services names unknown service %q (services: %s)", t.Name, b.Name,
				strings.Join(slices.Sorted(maps.Keys(s.Services)), ", "))
		}
	}
	if f := byName[t.From]; f != nil && f.Matrix != nil {
		return fail(t.Pos, "task %s: from names matrix task %q; a task can continue from one container only (use dependsOn)", t.Name, t.From)
	}
	if t.Matrix != nil {
		for _, a := range t.Matrix.Axes {
			if _, ok := t.Env[a.Name]; ok {
				return fail(a.Pos, "task %s: matrix variable %s is also set in env", t.Name, a.Name)
			}
		}
		if t.Push != nil {
			return fail(t.Push.Pos, "task %s: a matrix task cannot push (every instance would push the same ref)", t.Name)
		}
	}
	if t.Push != nil && t.Push.Dir == "" && t.Workdir == "" {
		return fail(t.Push.Pos, "task %s push needs dir (or a workdir)", t.Name)
	}
	return nil
}

// Deps returns the tasks t waits for: From first, then DependsOn, without
// duplicates.
func (t *Task) Deps() []string {
	var out []string
	if t.From != "" {
		out = append(out, t.From)
	}
	for _, d := range t.DependsOn {
		if d != t.From && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// ImageRef returns the image reference a task starts from: its image
// (resolved through Images) or the default image; "" for tasks that
// continue from another task.
func (s *Spec) ImageRef(t *Task) string {
	name := t.Image
	if name == "" && t.From == "" {
		name = s.DefaultImage
	}
	if img, ok := s.Images[name]; ok {
		return img.Ref
	}
	return name
}

// resolvable reports whether name is an image name or looks like a full
// reference (has a registry, tag or digest part).
func (s *Spec) resolvable(name string) bool {
	if _, ok := s.Images[name]; ok {
		return true
	}
	return strings.ContainsAny(name, "/:@") && validRef(name)
}

// validRef is a light syntax check; package inventory parses references
// fully.
func validRef(ref string) bool {
	if ref == "" || len(ref) > 4096 {
		return false
	}
	for _, c := range ref {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func validName(n string) bool {
	if n == "" || len(n) > 128 {
		return false
	}
	for i, c := range n {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

// findCycle returns the first dependency cycle in file order, as task
// names with the first repeated at the end, or nil.
func findCycle(tasks []Task, byName map[string]*Task) []string {
	const (
		white = iota
		grey
		black
	)
	color := make(map[string]int, len(tasks))
	var stack []string
	var visit func(n string) []string
	visit = func(n string) []string {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range byName[n].Deps() {
			switch color[d] {
			case grey:
				for i, s := range stack {
					if s == d {
						return append(append([]string{}, stack[i:]...), d)
					}
				}
			case white:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return nil
	}
	for _, t := range tasks {
		if color[t.Name] == white {
			if c := visit(t.Name); c != nil {
				return c
			}
		}
	}
	return nil
}
