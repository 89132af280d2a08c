package inventory

import (
	"path"
	"slices"
	"strings"
)

// knownDaggerJSONKeys are the top-level dagger.json keys of every schema
// era. Other keys are reported in Module.Unknown, never rejected.
var knownDaggerJSONKeys = map[string]bool{
	"name": true, "sdk": true, "engineVersion": true, "dependencies": true, "source": true,
	"root": true, "exclude": true, "include": true, "disableDefaultFunctionCaching": true,
	"codegen": true, "toolchains": true, "root-for": true, "$schema": true, "views": true,
	"description": true, "clients": true, "sdkRuntime": true, "blueprint": true,
}

// ParseDaggerJSON parses a dagger.json file. file is the path recorded in
// positions (relative to the inventory root, forward slashes). It returns
// the module and the image references it names (the legacy sdkRuntime).
// Malformed JSON and known keys of the wrong type are *ParseError.
func ParseDaggerJSON(file string, data []byte) (*Module, []ImageRef, error) {
	root, err := parseJSON(file, data)
	if err != nil {
		return nil, nil, err
	}
	return decodeDaggerJSON(file, root)
}

// decodeDaggerJSON decodes the module of a parsed dagger.json.
func decodeDaggerJSON(file string, root *jnode) (*Module, []ImageRef, error) {
	d := &jdecoder{file: file}
	if root.kind != 'o' {
		return nil, nil, d.errf(root, "dagger.json must be a JSON object, not %s", root.typeName())
	}
	m := &Module{Format: "dagger.json", Dir: path.Dir(file), Dependencies: []Dependency{},
		Pos: Position{File: file, Line: root.line, Column: root.col}}
	var images []ImageRef
	m.DuplicateKeys = duplicateKeys(file, root, "", nil)
	last := make(map[string]int, len(root.keys))
	for i, k := range root.keys {
		last[k.name] = i
	}
	for i, k := range root.keys {
		v := root.vals[i]
		if v.kind == 'z' || last[k.name] != i {
			continue // the last of duplicate keys wins, as in encoding/json
		}
		switch k.name {
		case "name":
			m.Name = d.str(v, k.name)
		case "engineVersion":
			m.EngineVersion = d.str(v, k.name)
			m.EngineVerPos = d.pos(v)
		case "source":
			m.Source = d.str(v, k.name)
		case "include":
			m.Include = d.strs(v, k.name)
		case "exclude":
			m.Exclude = d.strs(v, k.name)
		case "sdk":
			m.SDK = d.sdk(v)
		case "dependencies":
			m.Dependencies = append(m.Dependencies, d.deps(v, "dependency")...)
		case "toolchains":
			m.Dependencies = append(m.Dependencies, d.deps(v, "toolchain")...)
		case "blueprint":
			if v.kind == 'a' {
				m.Dependencies = append(m.Dependencies, d.deps(v, "blueprint")...)
			} else {
				m.Dependencies = append(m.Dependencies, d.dep(v, "blueprint"))
			}
		case "sdkRuntime":
			ref := d.str(v, k.name)
			img, err := newImageRef(d.pos(v), "dagger.json", "sdkRuntime", "", ref)
			if err != nil && d.err == nil {
				d.err = d.errf(v, "sdkRuntime: %v", err)
			}
			if err == nil {
				images = append(images, img)
			}
		default:
			if !knownDaggerJSONKeys[k.name] {
				m.Unknown = append(m.Unknown, k.name)
			}
		}
		if d.err != nil {
			return nil, nil, d.err
		}
	}
	slices.Sort(m.Unknown)
	m.Unknown = slices.Compact(m.Unknown)
	if m.SDK != nil {
		m.SourceDir = path.Join(m.Dir, m.Source)
	}
	return m, images, nil
}

// jdecoder turns positioned JSON values into inventory types, keeping the
// first error.
type jdecoder struct {
	file string
	err  error
}

func (d *jdecoder) pos(n *jnode) Position {
	return Position{File: d.file, Line: n.line, Column: n.col}
}

func (d *jdecoder) errf(n *jnode, format string, args ...any) error {
	return &ParseError{File: d.file, Line: n.line, Column: n.col, Msg: sprintf(format, args...)}
}

func (d *jdecoder) fail(n *jnode, format string, args ...any) {
	if d.err == nil {
		d.err = d.errf(n, format, args...)
	}
}

func (d *jdecoder) str(n *jnode, key string) string {
	if n == nil || n.kind == 'z' {
		return ""
	}
	if n.kind != 's' {
		d.fail(n, "%s must be a string, not %s", key, n.typeName())
		return ""
	}
	return n.str
}

func (d *jdecoder) strs(n *jnode, key string) []string {
	if n.kind != 'a' {
		d.fail(n, "%s must be an array of strings, not %s", key, n.typeName())
		return nil
	}
	out := make([]string, 0, len(n.vals))
	for _, e := range n.vals {
		out = append(out, d.str(e, key+" element"))
	}
	return out
}

func (d *jdecoder) sdk(n *jnode) *SDK {
	s := &SDK{Pos: d.pos(n)}
	switch n.kind {
	case 's':
		s.Source, s.Form = n.str, "string"
	case 'o':
		s.Form = "object"
		src := n.get("source")
		if src == nil {
			d.fail(n, "sdk object needs a source")
			return nil
		}
		s.Source = d.str(src, "sdk.source")
		s.Pos = d.pos(src)
		s.Pin = d.str(n.get("pin"), "sdk.pin")
	default:
		d.fail(n, "sdk must be a string or an object, not %s", n.typeName())
		return nil
	}
	classifySDK(s)
	return s
}

// classifySDK sets Builtin, Local, Remote and Pinned from Source and Pin.
func classifySDK(s *SDK) {
	switch {
	case IsRemoteSource(s.Source):
		s.Remote = ParseRemoteRef(s.Source)
		s.Pinned = pinned(s.Remote, s.Pin)
	case s.Source != "" && !strings.ContainsAny(s.Source, "./"):
		s.Builtin = true
	default:
		s.Local = true
	}
}

func (d *jdecoder) deps(n *jnode, kind string) []Dependency {
	if n.kind != 'a' {
		d.fail(n, "%s must be an array, not %s", map[string]string{"dependency": "dependencies",
			"toolchain": "toolchains"}[kind], n.typeName())
		return nil
	}
	out := make([]Dependency, 0, len(n.vals))
	for _, e := range n.vals {
		out = append(out, d.dep(e, kind))
	}
	return out
}

func (d *jdecoder) dep(n *jnode, kind string) Dependency {
	switch n.kind {
	case 's': // legacy "host/path@ref"
		return newDependency(d.pos(n), kind, "", n.str, "", true)
	case 'o':
		src := n.get("source")
		if src == nil {
			d.fail(n, "%s entry needs a source", kind)
			return Dependency{}
		}
		name := d.str(n.get("name"), kind+".name")
		pin := d.str(n.get("pin"), kind+".pin")
		return newDependency(d.pos(src), kind, name, d.str(src, kind+".source"), pin, false)
	}
	d.fail(n, "%s entry must be a string or an object, not %s", kind, n.typeName())
	return Dependency{}
}

// duplicateKeys lists every key that an object of the tree repeats, at
// the later occurrence (the one that wins), with its JSON path.
func duplicateKeys(file string, n *jnode, path string, out []DuplicateKey) []DuplicateKey {
	switch n.kind {
	case 'o':
		seen := make(map[string]jkey, len(n.keys))
		for i, k := range n.keys {
			p := k.name
			if path != "" {
				p = path + "." + k.name
			}
			if f, dup := seen[k.name]; dup {
				out = append(out, DuplicateKey{Pos: Position{File: file, Line: k.line, Column: k.col}, Key: p,
					First: Position{File: file, Line: f.line, Column: f.col}})
			}
			seen[k.name] = k
			out = duplicateKeys(file, n.vals[i], p, out)
		}
	case 'a':
		for i, v := range n.vals {
			out = duplicateKeys(file, v, sprintf("%s[%d]", path, i), out)
		}
	}
	return out
}
