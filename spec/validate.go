package spec

import (
	"fmt"
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
	byName := make(map[string]*Task, len(s.Tasks))
	for i := range s.Tasks {
		byName[s.Tasks[i].Name] = &s.Tasks[i]
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
		{"cache", t.Cache != nil}, {"secrets", t.Secrets != nil}, {"outputs", t.Outputs != nil}} {
		if f.set {
			extra = append(extra, f.name)
		}
	}
	if len(extra) > 0 {
		return fail(t.Pos, "task %s calls a module function and cannot also have %s", t.Name, strings.Join(extra, ", "))
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
