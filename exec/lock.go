package exec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"

	"gopkg.in/yaml.v3"
)

// Lock is the presets lock file: every preset with its image pinned by
// digest. hack/presets writes it; users add presets in the same format
// (JSON or YAML, see LoadConfig).
type Lock struct {
	Version int               `json:"version" yaml:"version"`
	Presets map[string]Preset `json:"presets" yaml:"presets"`
}

// ReadLock reads and validates a presets lock file. Unknown fields are
// refused so that a typo never silently drops a setting.
func ReadLock(path string) (Lock, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Lock{}, fmt.Errorf("presets lock: %w", err)
	}
	var l Lock
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Lock{}, fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	if err := l.validate(path); err != nil {
		return Lock{}, err
	}
	return l, nil
}

func (l *Lock) validate(path string) error {
	if l.Version != 1 {
		return fmt.Errorf("%w: %s: version %d, want 1", ErrInvalid, path, l.Version)
	}
	for _, name := range slices.Sorted(maps.Keys(l.Presets)) {
		p := l.Presets[name]
		p.Name = name
		if err := p.Validate(); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
		}
		l.Presets[name] = p
	}
	return nil
}

// LoadConfig reads a user presets file (YAML or JSON, the lock file's
// format: version 1 and presets by name) and validates every preset: an
// image by tag only is refused. Errors name the file and the preset's
// line and wrap ErrInvalid.
func LoadConfig(path string) (Lock, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Lock{}, fmt.Errorf("%w: presets config: %w", ErrInvalid, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return Lock{}, fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	var l Lock
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&l); err != nil {
		return Lock{}, fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	lines := presetLines(&root)
	for _, name := range slices.Sorted(maps.Keys(l.Presets)) {
		p := l.Presets[name]
		p.Name = name
		if err := p.Validate(); err != nil {
			return Lock{}, fmt.Errorf("%w: %s:%d: %w", ErrInvalid, path, lines[name], err)
		}
		l.Presets[name] = p
	}
	if l.Version != 1 {
		return Lock{}, fmt.Errorf("%w: %s: version %d, want 1", ErrInvalid, path, l.Version)
	}
	return l, nil
}

// presetLines maps preset names to the line of their key.
func presetLines(root *yaml.Node) map[string]int {
	out := map[string]int{}
	if len(root.Content) == 0 {
		return out
	}
	doc := root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "presets" {
			continue
		}
		m := doc.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			out[m.Content[j].Value] = m.Content[j].Line
		}
	}
	return out
}

// Merge returns the lock's presets with the config's added; a config
// preset of the same name replaces the lock's.
func Merge(lock Lock, configs ...Lock) map[string]Preset {
	out := maps.Clone(lock.Presets)
	if out == nil {
		out = map[string]Preset{}
	}
	for _, c := range configs {
		maps.Copy(out, c.Presets)
	}
	return out
}
