package inventory

import (
	"path"
	"slices"
	"strings"
)

// Workspace formats: dagger.toml is the Dagger 1.0 workspace file;
// .dagger/config.toml is what the 1.0 betas wrote.
const (
	FormatDaggerTOML = "dagger.toml"
	FormatConfigTOML = "config.toml"
)

// IsWorkspace reports whether a module format is a workspace file rather
// than a module.
func IsWorkspace(format string) bool { return format == FormatDaggerTOML || format == FormatConfigTOML }

// ParseWorkspaceTOML parses a workspace file, dagger.toml (Dagger 1.0) or
// .dagger/config.toml (1.0 betas): [modules.<name>] tables with a source
// and an optional pin become dependencies of kind "workspace"; the
// environment overlays [env.<env>.modules.<name>] (source, pin, settings)
// are kept in Envs and applied by ApplyEnv. Settings and other keys are
// not interpreted.
func ParseWorkspaceTOML(file string, data []byte) (*Module, error) {
	d, err := parseTOML(file, data)
	if err != nil {
		return nil, err
	}
	format := FormatDaggerTOML
	if path.Base(file) == "config.toml" {
		format = FormatConfigTOML
	}
	m := &Module{Format: format, Dir: path.Dir(file), Dependencies: []Dependency{},
		Pos: Position{File: file, Line: 1, Column: 1}}
	if m.Dependencies, err = d.modules(d.root, false, "modules"); err != nil {
		return nil, err
	}
	if v, ok := d.root["env"]; ok {
		envs, ok := v.(map[string]any)
		if !ok {
			return nil, d.fail("env must be a table", "env")
		}
		for _, name := range d.sortedKeys(envs, "env") {
			t, ok := envs[name].(map[string]any)
			if !ok {
				return nil, d.fail("env."+name+" must be a table", "env", name)
			}
			deps, err := d.modules(t, true, "env", name, "modules")
			if err != nil {
				return nil, err
			}
			m.Envs = append(m.Envs, WorkspaceEnv{Pos: d.at("env", name), Name: name, Modules: deps})
		}
	}
	for k := range d.root {
		if k != "modules" && k != "env" {
			m.Unknown = append(m.Unknown, k)
		}
	}
	slices.Sort(m.Unknown)
	return m, nil
}

// modules reads the table at keys (modules, or env.<name>.modules) of
// parent, in file order. In an overlay a source is optional (an entry may
// only change the pin or settings of an installed module).
func (d *tomlDoc) modules(parent map[string]any, overlay bool, keys ...string) ([]Dependency, error) {
	deps := []Dependency{}
	v, ok := parent[keys[len(keys)-1]]
	if !ok {
		return deps, nil
	}
	mods, ok := v.(map[string]any)
	if !ok {
		return nil, d.fail(strings.Join(keys, ".")+" must be a table", keys...)
	}
	for _, n := range d.sortedKeys(mods, keys...) {
		k := append(slices.Clone(keys), n)
		t, ok := mods[n].(map[string]any)
		if !ok {
			return nil, d.fail(strings.Join(k, ".")+" must be a table", k...)
		}
		if overlay {
			src, err := d.str(t, "source", k...)
			if err != nil {
				return nil, err
			}
			pin, err := d.str(t, "pin", k...)
			if err != nil {
				return nil, err
			}
			dep := Dependency{Pos: d.at(k...), Kind: "workspace", Name: n, Pin: pin}
			if src != "" {
				dep = newDependency(d.at(append(k, "source")...), "workspace", n, src, pin, false)
				dep.SourceSpan = d.span(append(k, "source")...)
			} else if pin != "" {
				dep.Pos = d.at(append(k, "pin")...)
			}
			if _, ok := t["pin"]; ok {
				dep.PinPos, dep.PinSpan = d.pinPos(append(k, "pin")...), d.span(append(k, "pin")...)
			}
			deps = append(deps, dep)
			continue
		}
		dep, err := d.dep(t, "workspace", k...)
		if err != nil {
			return nil, err
		}
		dep.Name = n
		deps = append(deps, dep)
	}
	return deps, nil
}

// sortedKeys returns the keys of a table in file order.
func (d *tomlDoc) sortedKeys(t map[string]any, keys ...string) []string {
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		pa, pb := d.at(append(slices.Clone(keys), a)...), d.at(append(slices.Clone(keys), b)...)
		if pa.Line != pb.Line {
			return pa.Line - pb.Line
		}
		return strings.Compare(a, b)
	})
	return names
}

// ApplyEnv applies the environment overlay env of a workspace to its
// modules, as Dagger does for --env: an overlay entry with a source adds
// or replaces a module (with the overlay's pin); one with only a pin
// changes the installed module's pin; one naming a module that is not
// installed and has no source is an error. ok is false when the
// workspace does not define env.
func (m *Module) ApplyEnv(env string) (ok bool, err error) {
	i := slices.IndexFunc(m.Envs, func(e WorkspaceEnv) bool { return e.Name == env })
	if i < 0 {
		return false, nil
	}
	for _, o := range m.Envs[i].Modules {
		j := slices.IndexFunc(m.Dependencies, func(d Dependency) bool { return d.Name == o.Name })
		switch {
		case o.Source != "":
			o.Env = env
			if j < 0 {
				m.Dependencies = append(m.Dependencies, o)
			} else {
				m.Dependencies[j] = o
			}
		case j < 0:
			return true, &ParseError{File: o.Pos.File, Line: o.Pos.Line, Column: o.Pos.Column,
				Msg: "workspace env " + quote(env) + " references unknown module " + quote(o.Name)}
		case o.Pin != "":
			d := m.Dependencies[j]
			nd := newDependency(o.Pos, d.Kind, d.Name, d.Source, o.Pin, d.Legacy)
			nd.Env = env
			m.Dependencies[j] = nd
		}
	}
	return true, nil
}

// EnvNames lists the environments the workspaces of an inventory define,
// sorted and without duplicates.
func EnvNames(mods []Module) []string {
	var names []string
	for _, m := range mods {
		for _, e := range m.Envs {
			names = append(names, e.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
