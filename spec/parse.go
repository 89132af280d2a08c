package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pinline/pinline/internal/errclass"
	"gopkg.in/yaml.v3"
)

// MaxSize is the largest spec file accepted.
const MaxSize = 4 << 20

// Load reads and parses the spec at path.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		err = fmt.Errorf("read spec: %w", err)
		if errors.Is(err, fs.ErrNotExist) {
			err = errclass.Wrap(errclass.ErrBadInput, err)
		}
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses and validates a pinline.yaml. file is recorded in
// Spec.Path and in errors. Every error is a *Error naming the position;
// malformed YAML never panics.
func Parse(file string, data []byte) (s *Spec, err error) {
	if len(data) > MaxSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("spec is larger than %d bytes", MaxSize)}
	}
	root, err := decodeYAML(file, data)
	if err != nil {
		return nil, err
	}
	p := &parser{file: file}
	s = p.spec(root)
	if p.err != nil {
		return nil, p.err
	}
	if err := validate(s, file); err != nil {
		return nil, err
	}
	return s, nil
}

var reYAMLLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func decodeYAML(file string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; never let it
		// take the process down.
		if r := recover(); r != nil {
			root, err = nil, &Error{File: file, Msg: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Line: 1, Column: 1, Msg: "empty spec"}
		}
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Column: extra.Column, Msg: "more than one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{File: file, Line: 1, Column: 1, Msg: "empty spec"}
	}
	return doc.Content[0], nil
}

func yamlError(file string, err error) error {
	msg := err.Error()
	if m := reYAMLLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Msg: "invalid YAML: " + msg}
}

// parser converts YAML nodes into spec types, keeping the first error.
type parser struct {
	file string
	err  error
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	if p.err == nil {
		p.err = &Error{File: p.file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
	}
}

// field is one known key of a mapping and what parses its value: each key
// is named once, here, and the "known" list of errors is derived from the
// fields in order.
type field struct {
	key   string
	parse func(k, v *yaml.Node)
}

// val is a field whose parser needs only the value.
func val(key string, parse func(v *yaml.Node)) field {
	return field{key: key, parse: func(_, v *yaml.Node) { parse(v) }}
}

// strField is a plain string field: the value goes to dst, and errors name
// it prefix+key ("task build image"), so the key is spelled once.
func (p *parser) strField(prefix, key string, dst *string) field {
	return val(key, func(v *yaml.Node) { *dst = p.str(v, prefix+key) })
}

// strsField is strField for a list of strings.
func (p *parser) strsField(prefix, key string, dst *[]string) field {
	return val(key, func(v *yaml.Node) { *dst = p.strs(v, prefix+key) })
}

// fields walks a mapping, calling the parser of each known key; unknown
// and duplicate keys are errors.
func (p *parser) fields(n *yaml.Node, what string, known ...field) {
	if !p.kind(n, yaml.MappingNode, what, "a mapping") {
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !p.kind(k, yaml.ScalarNode, what+" key", "a string") {
			return
		}
		if seen[k.Value] {
			p.fail(k, "duplicate key %q in %s", k.Value, what)
			return
		}
		seen[k.Value] = true
		j := slices.IndexFunc(known, func(f field) bool { return f.key == k.Value })
		if j < 0 {
			p.fail(k, "unknown key %q in %s (known: %v)", k.Value, what, keys(known))
			return
		}
		if p.alias(v) {
			return
		}
		known[j].parse(k, v)
	}
}

func keys(fs []field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.key
	}
	return out
}

func (p *parser) alias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Kind == yaml.MappingNode && hasMerge(n) {
		p.fail(n, "YAML aliases and merge keys are not supported in pinline.yaml")
		return true
	}
	return false
}

func hasMerge(n *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Tag == "!!merge" {
			return true
		}
	}
	return false
}

var kindNames = map[yaml.Kind]string{
	yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list", yaml.ScalarNode: "a scalar",
	yaml.AliasNode: "an alias", yaml.DocumentNode: "a document",
}

func (p *parser) kind(n *yaml.Node, k yaml.Kind, what, want string) bool {
	if p.err != nil {
		return false
	}
	if n.Kind == yaml.AliasNode {
		p.alias(n)
		return false
	}
	if n.Kind != k {
		p.fail(n, "%s must be %s, not %s", what, want, kindNames[n.Kind])
		return false
	}
	return true
}

func (p *parser) str(n *yaml.Node, what string) string {
	if !p.kind(n, yaml.ScalarNode, what, "a string") {
		return ""
	}
	if n.Tag == "!!null" {
		p.fail(n, "%s must not be empty", what)
		return ""
	}
	if strings.IndexByte(n.Value, 0) >= 0 {
		p.fail(n, "%s must not contain a NUL byte", what)
		return ""
	}
	return n.Value
}

func (p *parser) strs(n *yaml.Node, what string) []string {
	if !p.kind(n, yaml.SequenceNode, what, "a list of strings") {
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, e := range n.Content {
		out = append(out, p.str(e, what+" element"))
	}
	return out
}

func (p *parser) int(n *yaml.Node, what string) int {
	s := p.str(n, what)
	if p.err != nil {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil || n.Tag != "!!int" {
		p.fail(n, "%s must be an integer, not %q", what, s)
	}
	return v
}

func (p *parser) bool(n *yaml.Node, what string) bool {
	s := p.str(n, what)
	if p.err != nil {
		return false
	}
	if n.Tag != "!!bool" {
		p.fail(n, "%s must be true or false, not %q", what, s)
		return false
	}
	v, _ := strconv.ParseBool(s)
	return v
}

func (p *parser) duration(n *yaml.Node, what string) time.Duration {
	s := p.str(n, what)
	if p.err != nil {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		p.fail(n, "%s must be a positive Go duration such as 90s or 10m, not %q", what, s)
	}
	return d
}
