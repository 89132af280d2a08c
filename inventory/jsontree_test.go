package inventory

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// checkSpans walks a parsed tree: every value's span lies in data, a
// string's span decodes to its string, an object's and array's spans are
// bracketed, and every key's span decodes to its name.
func checkSpans(t *testing.T, data []byte, n *jnode) {
	t.Helper()
	if n.off < 0 || n.end > len(data) || n.off >= n.end {
		t.Fatalf("bad span %d..%d of %d bytes", n.off, n.end, len(data))
	}
	text := data[n.off:n.end]
	switch n.kind {
	case 's':
		var s string
		if err := json.Unmarshal(text, &s); err != nil || s != n.str {
			t.Fatalf("span %q does not decode to %q", text, n.str)
		}
	case 'o', 'a':
		open, closing := byte('{'), byte('}')
		if n.kind == 'a' {
			open, closing = '[', ']'
		}
		if text[0] != open || text[len(text)-1] != closing {
			t.Fatalf("span %q is not bracketed", text)
		}
	}
	for _, k := range n.keys {
		var s string
		if k.off < 0 || k.end > len(data) || json.Unmarshal(data[k.off:k.end], &s) != nil || s != k.name {
			t.Fatalf("key span %d..%d does not decode to %q", k.off, k.end, k.name)
		}
	}
	for _, v := range n.vals {
		checkSpans(t, data, v)
	}
}

// FuzzJSONTreeSpans: both JSON paths (fast and exact) give every value and
// key a span that holds exactly its text (what pin edits).
func FuzzJSONTreeSpans(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,"b",{"c":null}]}`, `{"sdk":{"source":"x"},"dependencies":["a@b"]}`,
		`"\u00e9"`, `[`, `{"a" 1}`, `{"a":"\"}`, "{\"a\":\"\xff\"}", ` { "k" : [ true , false ] } `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exact, err := parseJSONExact("f", data)
		if (err == nil) != json.Valid(data) {
			t.Fatalf("parse err = %v, json.Valid = %v", err, json.Valid(data))
		}
		if err != nil {
			return
		}
		checkSpans(t, data, exact)
		if fast, ok := parseJSONFast(data); ok {
			checkSpans(t, data, fast)
		}
	})
}

// TestJSONTreeAt: every item ParseDaggerJSONTree returns is found in its
// tree at its position, a source with its member; of duplicate keys the
// tree's member is the last one, the one the module was decoded from.
func TestJSONTreeAt(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/corpus/dagger-json/*dagger.json")
	if len(files) == 0 {
		t.Fatal("no corpus")
	}
	dup := []byte(`{"name": "m", "sdk": {"source": "go"},
  "dependencies": [{"name": "a", "source": "github.com/o/a@v1", "pin": "` + hex40('1') + `", "pin": "` + hex40('2') + `"}],
  "dependencies": [{"name": "b", "source": "github.com/o/b@v2", "pin": "` + hex40('3') + `"}]}
`)
	inputs := map[string][]byte{"dup/dagger.json": dup}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = b
	}
	for name, data := range inputs {
		m, _, tree, err := ParseDaggerJSONTree(name, data)
		if err != nil {
			continue // the corpus test holds which files parse
		}
		checkSpans(t, data, tree.root)
		for _, d := range m.Dependencies {
			v, obj, mem, ok := tree.At(d.Pos)
			if !ok || !v.IsString() || v.Str() != d.Source {
				t.Errorf("%s: dependency %q at %+v: found %v %+v", name, d.Source, d.Pos, ok, v)
				continue
			}
			if d.Legacy {
				continue
			}
			if mem.Key != "source" || !obj.IsObject() {
				t.Errorf("%s: %q is not the source member of an object", name, d.Source)
			}
			if pin, has := obj.Member("pin"); has && pin.Value.IsString() && pin.Value.Str() != d.Pin || !has && d.Pin != "" {
				t.Errorf("%s: %q: tree pin %+v, module pin %q", name, d.Source, pin, d.Pin)
			}
		}
	}
	m, _, _, err := ParseDaggerJSONTree("dup/dagger.json", dup)
	if err != nil || len(m.Dependencies) != 1 || m.Dependencies[0].Name != "b" {
		t.Fatalf("duplicate keys: %+v %v", m, err)
	}
}

func hex40(c byte) string {
	b := make([]byte, 40)
	for i := range b {
		b[i] = c
	}
	return string(b)
}
