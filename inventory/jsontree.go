package inventory

// JSONTree is a dagger.json as check reads it: the positioned tree
// ParseDaggerJSON decodes (the same parser, the same positions, the same
// rule for duplicate keys: the last one wins), with the byte span of
// every value and key, for tools that edit the file in place (pin).
type JSONTree struct {
	file string
	root *jnode
}

// JSONValue is one value of a JSONTree.
type JSONValue struct{ n *jnode }

// JSONMember is the member of an object that holds a value: its key, and
// the byte span of the key with its quotes.
type JSONMember struct {
	Key            string
	KeyOff, KeyEnd int
	Value          JSONValue
}

// ParseDaggerJSONTree is ParseDaggerJSON that also returns the tree the
// module was decoded from.
func ParseDaggerJSONTree(file string, data []byte) (*Module, []ImageRef, *JSONTree, error) {
	root, err := parseJSON(file, data)
	if err != nil {
		return nil, nil, nil, err
	}
	m, images, err := decodeDaggerJSON(file, root)
	if err != nil {
		return nil, nil, nil, err
	}
	return m, images, &JSONTree{file: file, root: root}, nil
}

// IsString reports whether the value is a JSON string.
func (v JSONValue) IsString() bool { return v.n != nil && v.n.kind == 's' }

// IsObject reports whether the value is a JSON object.
func (v JSONValue) IsObject() bool { return v.n != nil && v.n.kind == 'o' }

// Str is the decoded string of a string value.
func (v JSONValue) Str() string { return v.n.str }

// Span is the byte span [off, end) of the value's text.
func (v JSONValue) Span() (off, end int) { return v.n.off, v.n.end }

// Member returns the member key of an object; of duplicate keys the last
// one, as ParseDaggerJSON (and encoding/json, Dagger) decide.
func (v JSONValue) Member(key string) (JSONMember, bool) {
	if v.n == nil || v.n.kind != 'o' {
		return JSONMember{}, false
	}
	for i := len(v.n.keys) - 1; i >= 0; i-- {
		if k := v.n.keys[i]; k.name == key {
			return JSONMember{Key: k.name, KeyOff: k.off, KeyEnd: k.end, Value: JSONValue{v.n.vals[i]}}, true
		}
	}
	return JSONMember{}, false
}

// At finds the value that starts at p (a Position of an item ParseDaggerJSON
// returned) and, when it is the value of an object member, that object
// and the member. ok is false when no value starts there.
func (t *JSONTree) At(p Position) (v JSONValue, parent JSONValue, m JSONMember, ok bool) {
	if p.File != t.file {
		return JSONValue{}, JSONValue{}, JSONMember{}, false
	}
	var walk func(n *jnode) bool
	walk = func(n *jnode) bool {
		for i, c := range n.vals {
			if c.line == p.Line && c.col == p.Column {
				v, parent = JSONValue{c}, JSONValue{n}
				if n.kind == 'o' {
					k := n.keys[i]
					m = JSONMember{Key: k.name, KeyOff: k.off, KeyEnd: k.end, Value: v}
				}
				return true
			}
			if walk(c) {
				return true
			}
		}
		return false
	}
	if t.root.line == p.Line && t.root.col == p.Column {
		return JSONValue{t.root}, JSONValue{}, JSONMember{}, true
	}
	ok = walk(t.root)
	return v, parent, m, ok
}
