package jsonerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type b64 []byte

func (b *b64) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	*b = []byte(s)
	return nil
}

type doc struct {
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Blob  b64      `json:"blob"`
	Inner struct {
		N int `json:"n"`
	} `json:"inner"`
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
	}{
		{"syntax", "{\"name\": \"x\",\n  ]", "line 2, column 3: invalid character ']'"},
		{"truncated (decoder)", "{\"name\":\n", "line 2, column 1: unexpected EOF"},
		{"truncated (unmarshal)", "{\"name\": \"x\",\n \"tags\": [", "line 2, column 11: unexpected end of JSON input"},
		{"type", "{\"name\": \"x\",\n \"tags\": 7}", `line 2, column 10: member "tags": JSON number where an array is required`},
		{"type in custom unmarshaler", "{\"name\": \"x\",\n  \"blob\": true}", `line 2, column 11: member "blob": JSON bool where a string is required`},
		{"nested type", "{\"inner\": {\"n\": \"1\"}}", `line 1, column 17: member "n": JSON string where a number is required`},
		{"document type", " [1]", `line 1, column 2: JSON array where an object is required`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := []byte(tc.data)
			var d doc
			var err error
			var off int64 = -1
			if strings.Contains(tc.name, "unmarshal") {
				err = json.Unmarshal(data, &d)
			} else {
				dec := json.NewDecoder(bytes.NewReader(data))
				err = dec.Decode(&d)
				off = dec.InputOffset()
			}
			if err == nil {
				t.Fatal("decoded")
			}
			got := Describe(data, err, off)
			if !strings.Contains(got.Error(), tc.want) {
				t.Errorf("Describe = %v, want it to contain %q", got, tc.want)
			}
			if strings.Contains(tc.name, "type") && strings.Contains(got.Error(), "Go ") {
				t.Errorf("names Go struct paths: %v", got)
			}
			if !errors.Is(got, err) && !strings.Contains(tc.name, "type") {
				t.Errorf("does not wrap the decoding error")
			}
		})
	}
}

func TestDescribeUnplaced(t *testing.T) {
	t.Parallel()
	e := errors.New("disk on fire")
	if got := Describe([]byte("{}"), e, -1); got != e {
		t.Errorf("unplaceable error changed: %v", got)
	}
}

func TestLineCol(t *testing.T) {
	t.Parallel()
	data := []byte("ab\ncd\n")
	for _, tc := range []struct {
		off       int64
		line, col int
	}{{-5, 1, 1}, {0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {4, 2, 2}, {6, 3, 1}, {99, 3, 1}} {
		if l, c := LineCol(data, tc.off); l != tc.line || c != tc.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}

func FuzzDescribe(f *testing.F) {
	f.Add([]byte(`{"name": 1}`))
	f.Add([]byte("{\"tags\": [\n"))
	f.Add([]byte(`{"blob": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d doc
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&d); err != nil {
			_ = Describe(data, err, dec.InputOffset())
		}
		if err := json.Unmarshal(data, &d); err != nil {
			_ = Describe(data, err, -1)
		}
	})
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
		trailing         bool
	}{
		{"ok", "{\"name\": \"x\"}\n", "", false},
		{"stray brace", "{\"name\": \"x\"}}", "line 1, column 14: trailing data", true},
		{"stray bracket after space", "{\"name\": \"x\"}\n ]", "line 2, column 2: trailing data", true},
		{"second value", "{} {}", "line 1, column 4: trailing data", true},
		{"unknown member", "{\"nope\": 1}", `unknown field "nope"`, false},
		{"type", "{\"tags\": 1}", `member "tags": JSON number where an array is required`, false},
	}
	for _, tc := range tests {
		var d doc
		err := DecodeStrict([]byte(tc.data), &d)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrTrailingData) != tc.trailing {
			t.Errorf("%s: err = %v, want %q (trailing %v)", tc.name, err, tc.want, tc.trailing)
		}
	}
}
