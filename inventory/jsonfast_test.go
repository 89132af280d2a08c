package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkFastMatchesExact is the contract between the two JSON paths: when
// the fast path accepts a document, the exact path accepts it too and
// builds the same tree; when the exact path rejects it, so does the fast
// path.
func checkFastMatchesExact(t *testing.T, data []byte) (fastOK bool) {
	t.Helper()
	fast, ok := parseJSONFast(data)
	exact, err := parseJSONExact("f", data)
	if err != nil {
		if ok {
			t.Fatalf("fast path accepted %q, exact path: %v", data, err)
		}
		return false
	}
	if !ok {
		return false
	}
	if path, ok := sameJSON(exact, fast, "$"); !ok {
		t.Fatalf("fast path tree differs for %q at %s", data, path)
	}
	return true
}

// sameJSON compares two trees (cmp.Diff is far too slow on 512 levels).
func sameJSON(a, b *jnode, path string) (string, bool) {
	if (a == nil) != (b == nil) {
		return path, false
	}
	if a == nil {
		return "", true
	}
	if a.kind != b.kind || a.str != b.str || a.line != b.line || a.col != b.col || a.off != b.off || a.end != b.end ||
		!slices.Equal(a.keys, b.keys) || len(a.vals) != len(b.vals) {
		return fmt.Sprintf("%s: %+v vs %+v", path, *a, *b), false
	}
	for i := range a.vals {
		if p, ok := sameJSON(a.vals[i], b.vals[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
			return p, false
		}
	}
	return "", true
}

func TestJSONFastMatchesExact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		fastOK bool // the fast path handles it (no fallback)
	}{
		{`{}`, true},
		{` {"a" : 1 , "b":[true,false,null,"x"]} `, true},
		{"{\n\t\"name\": \"m\",\r\n  \"deps\": [\n {\"source\": \"x\"}\n ]\n}\n", true},
		{`{"a":1,"a":2}`, true}, // duplicate keys are kept in order
		{`[]`, true},
		{`"s"`, true},
		{`-0.5e+10`, true},
		{`0`, true},
		{`{"k":"caf\u00e9 \"q\" \\ \/ \n"}`, true},
		{`{"k":"\ud83d\ude00"}`, true},
		{`{"k":"\ud83d"}`, true}, // lone surrogate: encoding/json writes U+FFFD
		{"{\"k\":\"h\xc3\xa9\"}", true},
		{"{\"k\":\"bad \xff utf8\"}", false}, // encoding/json rewrites it
		{`{"a":[1,2,3],"b":{"c":{"d":[]}}}`, true},
		{"", false},
		{"   ", false},
		{`{`, false},
		{`{"a"}`, false},
		{`{"a":}`, false},
		{`{"a":1,}`, false},
		{`[1,]`, false},
		{`[1 2]`, false},
		{`{"a":1}{}`, false},
		{`{"a":1} x`, false},
		{`01`, false},
		{`1.`, false},
		{`.5`, false},
		{`1e`, false},
		{`-`, false},
		{`+1`, false},
		{`tru`, false},
		{`truex`, false},
		{`nul`, false},
		{`{a:1}`, false},
		{`{'a':1}`, false},
		{"{\"a\":\"x\ny\"}", false},
		{`{"a":"\x"}`, false},
		{`{"a":"\u12"}`, false},
		{`{"a":"x\`, false},
		{`"\`, false},
		{"\xef\xbb\xbf{}", false}, // BOM
		{`// c` + "\n{}", false},
		{strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth), true},
		{strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1), false},
		{strings.Repeat(`{"a":`, maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1), false},
	}
	for _, tt := range tests {
		if got := checkFastMatchesExact(t, []byte(tt.in)); got != tt.fastOK {
			t.Errorf("%.40q: fast path handled it = %v, want %v", tt.in, got, tt.fastOK)
		}
	}
}

// TestJSONFastTakesCorpus makes sure the speed-up applies to real files:
// every dagger.json of the corpus goes through the fast path.
func TestJSONFastTakesCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/corpus/dagger-json/*dagger.json")
	if err != nil || len(files) < 100 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !checkFastMatchesExact(t, data) {
			t.Errorf("%s: fast path fell back", f)
		}
	}
}

func FuzzJSONFastMatchesExact(f *testing.F) {
	addFiles(f, "testdata/corpus/dagger-json/*dagger.json")
	for _, s := range []string{`{"a":[1,-2.5e3,true,null],"b":"\u00e9\n"}`, "{\"k\":\"\xff\"}", `[01]`, `{"a":1,}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastMatchesExact(t, data)
	})
}
