package pin

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzJSONSpans: the span parser accepts exactly what encoding/json
// accepts, never panics, and every string span holds the decoded string.
func FuzzJSONSpans(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,"b",{"c":null}]}`, `{"sdk":{"source":"x"},"dependencies":["a@b"]}`, `"\u00e9"`, `[`, `{"a" 1}`, `{"a":"\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseJSONSpans(data)
		if (err == nil) != json.Valid(data) {
			t.Fatalf("parse err = %v, json.Valid = %v", err, json.Valid(data))
		}
		if err != nil {
			return
		}
		var walk func(*jnode)
		walk = func(n *jnode) {
			if n.start < 0 || n.end > len(data) || n.start >= n.end {
				t.Fatalf("bad span %d..%d", n.start, n.end)
			}
			if n.kind == '"' {
				var s string
				if err := json.Unmarshal(data[n.start:n.end], &s); err != nil || s != n.str {
					t.Fatalf("span %q does not decode to %q", data[n.start:n.end], n.str)
				}
			}
			for _, m := range n.members {
				walk(m.value)
			}
			for _, e := range n.elems {
				walk(e)
			}
		}
		walk(n)
	})
}

// FuzzCollect: the dagger.json, dagger.lock and pinline.yaml collectors
// never panic, and every edit they offer keeps the rest of the file
// byte for byte (it only inserts or replaces its own span).
func FuzzCollect(f *testing.F) {
	f.Add("dagger.json", `{"dependencies":[{"name":"a","source":"github.com/o/r@v1"}],"sdk":{"source":"github.com/o/s"}}`)
	f.Add("dagger.json", `{"toolchains":[{"source":"github.com/o/r@main","pin":""}]}`)
	f.Add("dagger.lock", "[[\"version\",\"2\"]]\n[\"\",\"oci-latest\",[\"registry.example.invalid/library/nginx\"],\"1.2\"]\n[\"\",\"git-latest\",[\"github.com/o/r\"],\"refs/tags/v1\"]")
	f.Add("pinline.yaml", "images:\n  a: \"alpine:3\"\ntasks:\n  t: {image: 'x/y:1'}\n")
	f.Fuzz(func(t *testing.T, name, content string) {
		fl := newFile(name, name, []byte(content))
		switch name {
		case "dagger.json":
			_ = collectDaggerJSON(fl)
		case "dagger.lock":
			_ = collectLock(fl)
		case "pinline.yaml":
			_ = collectSpec(fl)
		default:
			return
		}
		const pinValue = "PINVALUE"
		for _, s := range fl.sites {
			if s.edit == nil {
				continue
			}
			e := s.edit(pinValue)
			if e.off < 0 || e.end > len(content) || e.off > e.end {
				t.Fatalf("edit out of range: %+v", e)
			}
			out := string(apply([]byte(content), []edit{e}))
			if !strings.HasPrefix(out, content[:e.off]) || !strings.HasSuffix(out, content[e.end:]) || !strings.Contains(out, pinValue) {
				t.Fatalf("edit damaged the file:\n%s", out)
			}
		}
	})
}
