package inventory

import "strings"

// UserConfigFile is the user-level Dagger configuration
// (~/.config/dagger/config.toml, or $DAGGER_CONFIG): the caller (only
// cmd reads the environment and the home directory) reads it and passes
// its name, for positions, and content.
type UserConfigFile struct {
	Name string
	Data []byte
}

// UserOverride is one workspace override of the user-level Dagger
// configuration: [workspaces."<remote>".modules.<module>] (always applied
// by Dagger to the workspace whose git remote matches) or
// [workspaces."<remote>".env.<env>.modules.<module>]. Dagger lets these
// replace a workspace module's source, pin or settings without a trace in
// the repository.
type UserOverride struct {
	Pos Position `json:"pos"`
	// Workspace is the key naming the workspace (a git remote).
	Workspace string `json:"workspace"`
	// Env is the environment overlay the entry belongs to; empty for the
	// always-applied module overlays.
	Env    string `json:"env,omitempty"`
	Module string `json:"module"`
	Source string `json:"source,omitempty"`
	Pin    string `json:"pin,omitempty"`
	// Settings is true when the entry overrides module settings.
	Settings bool `json:"settings,omitempty"`
}

// ParseUserConfig returns the workspace overrides of a user-level Dagger
// config, in file order. Sections other than [workspaces] (such as [llm])
// belong to other parts of Dagger and are ignored.
func ParseUserConfig(file string, data []byte) ([]UserOverride, error) {
	d, err := parseTOML(file, data)
	if err != nil {
		return nil, err
	}
	var out []UserOverride
	v, ok := d.root["workspaces"]
	if !ok {
		return out, nil
	}
	wss, ok := v.(map[string]any)
	if !ok {
		return nil, d.fail("workspaces must be a table", "workspaces")
	}
	for _, ws := range d.sortedKeys(wss, "workspaces") {
		t, ok := wss[ws].(map[string]any)
		if !ok {
			return nil, d.fail("workspaces."+ws+" must be a table", "workspaces", ws)
		}
		add := func(env string, parent map[string]any, keys ...string) error {
			deps, err := d.modules(parent, true, keys...)
			if err != nil {
				return err
			}
			mods, _ := parent["modules"].(map[string]any)
			for _, dep := range deps {
				mt, _ := mods[dep.Name].(map[string]any)
				_, settings := mt["settings"]
				pos := dep.Pos
				if dep.Source == "" && dep.Pin == "" {
					pos = d.at(append(keys, dep.Name)...)
				}
				out = append(out, UserOverride{Pos: pos, Workspace: ws, Env: env, Module: dep.Name,
					Source: dep.Source, Pin: dep.Pin, Settings: settings})
			}
			return nil
		}
		if err := add("", t, "workspaces", ws, "modules"); err != nil {
			return nil, err
		}
		envs, ok := t["env"].(map[string]any)
		if _, present := t["env"]; present && !ok {
			return nil, d.fail("workspaces."+ws+".env must be a table", "workspaces", ws, "env")
		}
		for _, env := range d.sortedKeys(envs, "workspaces", ws, "env") {
			et, ok := envs[env].(map[string]any)
			if !ok {
				return nil, d.fail(strings.Join([]string{"workspaces", ws, "env", env}, ".")+" must be a table", "workspaces", ws, "env", env)
			}
			if err := add(env, et, "workspaces", ws, "env", env, "modules"); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
