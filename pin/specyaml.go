package pin

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// collectSpec finds the image references of a pinline.yaml: the values of
// images, and defaultImage and task image fields that are full references
// rather than names of images entries (as inventory reads them).
func collectSpec(f *file) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(f.data, &doc); err != nil {
		return &InputError{Pos: f.position(0), Err: fmt.Errorf("pinline.yaml: %w", err)}
	}
	if len(doc.Content) == 0 {
		return nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return &InputError{Pos: f.position(0), Err: errors.New("pinline.yaml: top level is not a mapping")}
	}
	names := map[string]bool{}
	if imgs := mapGet(top, "images"); imgs != nil && imgs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(imgs.Content); i += 2 {
			names[imgs.Content[i].Value] = true
			addYAMLImage(f, imgs.Content[i+1])
		}
	}
	// defaultImage names an images entry or is a full reference itself.
	if d := mapGet(top, "defaultImage"); d != nil && d.Kind == yaml.ScalarNode && !names[d.Value] {
		addYAMLImage(f, d)
	}
	tasks := mapGet(top, "tasks")
	if tasks == nil {
		return nil
	}
	var list []*yaml.Node
	switch tasks.Kind {
	case yaml.MappingNode:
		for i := 1; i < len(tasks.Content); i += 2 {
			list = append(list, tasks.Content[i])
		}
	case yaml.SequenceNode:
		list = tasks.Content
	}
	for _, t := range list {
		if t.Kind != yaml.MappingNode {
			continue
		}
		if img := mapGet(t, "image"); img != nil && img.Kind == yaml.ScalarNode && !names[img.Value] {
			addYAMLImage(f, img)
		}
	}
	return nil
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func addYAMLImage(f *file, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return
	}
	off, ok := f.offset(n.Line, n.Column)
	if !ok {
		return
	}
	if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
		off++
	}
	if off+len(n.Value) > len(f.data) || string(f.data[off:off+len(n.Value)]) != n.Value {
		f.note(off, n.Value, "value is not written literally (escapes or folding); pin it by hand")
		return
	}
	addImageText(f, off, n.Value)
}

// addImageText records an image reference written literally at
// f.data[off:off+len(text)].
func addImageText(f *file, off int, text string) {
	resolve, suffix, pinned, ok := imageTarget(text)
	if !ok {
		return
	}
	s := site{pos: f.position(off), kind: "image", ref: text, image: resolve, pinned: pinned}
	if pinned == "" {
		end := off + len(text)
		s.edit = func(digest string) edit { return edit{off: end, end: end, text: suffix + "@" + digest} }
	}
	f.sites = append(f.sites, s)
}
