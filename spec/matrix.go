package spec

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Matrix limits: a spec cannot make the executor start an unbounded number
// of containers or write unbounded names.
const (
	// MaxMatrixAxes is the most variables one matrix has.
	MaxMatrixAxes = 8
	// MaxMatrixInstances is the most combinations one task's matrix has.
	MaxMatrixInstances = 64
	// MaxInstances is the most task instances a spec expands to.
	MaxInstances = 256
	// maxInstanceName bounds an instance name (a log file name).
	maxInstanceName = 200
)

// Value is one axis's value of a matrix instance.
type Value struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Instance is one run of a task: the task itself, or one combination of
// its matrix.
type Instance struct {
	// Name is the task name, or for a matrix instance
	// task[axis=value,axis=value] with the axes in file order, e.g.
	// test[go=1.22,os=linux]. Names and values are restricted so that it
	// is a single path element and never another task's name.
	Name   string  `json:"name"`
	Values []Value `json:"values,omitempty"`
}

// Instances expands the task's matrix, the last axis varying fastest; a
// task without a matrix has one instance, named like the task.
func (t *Task) Instances() []Instance {
	if t.Matrix == nil || len(t.Matrix.Axes) == 0 {
		return []Instance{{Name: t.Name}}
	}
	combos := [][]Value{nil}
	for _, a := range t.Matrix.Axes {
		next := make([][]Value, 0, len(combos)*len(a.Values))
		for _, c := range combos {
			for _, v := range a.Values {
				next = append(next, append(append([]Value{}, c...), Value{Name: a.Name, Value: v}))
			}
		}
		combos = next
	}
	out := make([]Instance, 0, len(combos))
	for _, c := range combos {
		out = append(out, Instance{Name: InstanceName(t.Name, c), Values: c})
	}
	return out
}

// InstanceName is task[n1=v1,n2=v2] (the task name alone without values).
func InstanceName(task string, vals []Value) string {
	if len(vals) == 0 {
		return task
	}
	var b strings.Builder
	b.WriteString(task)
	b.WriteByte('[')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(v.Name + "=" + v.Value)
	}
	b.WriteByte(']')
	return b.String()
}

// combinations is the product of the axes' lengths, saturating above
// MaxInstances (no overflow whatever the spec says).
func (m *Matrix) combinations() int {
	n := 1
	for _, a := range m.Axes {
		n *= len(a.Values)
		if n > MaxInstances {
			return MaxInstances + 1
		}
	}
	return n
}

func (p *parser) matrix(n *yaml.Node, task, what string) *Matrix {
	what += " matrix"
	m := &Matrix{Pos: posOf(n)}
	if !p.kind(n, yaml.MappingNode, what, "a mapping of variable to a list of values") {
		return m
	}
	if len(n.Content) == 0 {
		p.fail(n, "%s must not be empty", what)
		return m
	}
	if len(n.Content)/2 > MaxMatrixAxes {
		p.fail(n, "%s has %d variables (at most %d)", what, len(n.Content)/2, MaxMatrixAxes)
		return m
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := p.str(k, what+" variable")
		switch {
		case p.err != nil:
			return m
		case seen[name]:
			p.fail(k, "duplicate variable %q in %s", name, what)
			return m
		case !validEnvName(name) || len(name) > 64:
			p.fail(k, "%s variable %q must match [A-Za-z_][A-Za-z0-9_]* (at most 64 characters)", what, name)
			return m
		}
		seen[name] = true
		if p.alias(v) {
			return m
		}
		vals := p.strs(v, what+" "+name)
		if p.err != nil {
			return m
		}
		if len(vals) == 0 {
			p.fail(v, "%s %s needs at least one value", what, name)
			return m
		}
		dup := map[string]bool{}
		for j, val := range vals {
			if !validMatrixValue(val) {
				p.fail(v.Content[j], "%s %s value %q must match [A-Za-z0-9][A-Za-z0-9._+-]* (at most 64 characters)", what, name, val)
				return m
			}
			if dup[val] {
				p.fail(v.Content[j], "duplicate value %q in %s %s", val, what, name)
				return m
			}
			dup[val] = true
		}
		m.Axes = append(m.Axes, Axis{Name: name, Values: vals, Pos: posOf(k)})
	}
	if p.err != nil {
		return m
	}
	if c := m.combinations(); c > MaxInstances {
		p.fail(n, "%s has more than %d combinations (at most %d per task)", what, MaxInstances, MaxMatrixInstances)
		return m
	} else if c > MaxMatrixInstances {
		p.fail(n, "%s has %d combinations (at most %d per task)", what, c, MaxMatrixInstances)
		return m
	}
	// The longest instance name: each axis's longest value.
	longest := make([]Value, len(m.Axes))
	for i, a := range m.Axes {
		for _, v := range a.Values {
			if len(v) > len(longest[i].Value) {
				longest[i] = Value{Name: a.Name, Value: v}
			}
		}
	}
	if l := len(InstanceName(task, longest)); l > maxInstanceName {
		p.fail(n, "%s makes instance names of %d characters (at most %d)", what, l, maxInstanceName)
	}
	return m
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func validMatrixValue(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '.' || c == '_' || c == '-' || c == '+')
		if !ok {
			return false
		}
	}
	return true
}
