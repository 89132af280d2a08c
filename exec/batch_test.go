package exec

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBatch(t *testing.T) {
	t.Parallel()
	in := `{"lang":"python","code":"print(1)","timeout":5}

{"lang":"bash","file":"x.sh","timeout":"1m"}
{"lang":"ruby","code":""}
`
	got, err := ParseBatch(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []BatchLine{
		{Job: Job{Lang: "python", Code: "print(1)", Timeout: 5 * time.Second}, Line: 1},
		{Job: Job{Lang: "bash", Timeout: time.Minute}, File: "x.sh", Line: 3},
		{Job: Job{Lang: "ruby"}, Line: 4},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"lang":"python"}`, "line 1: exactly one of code and file"},
		{`{"lang":"python","code":"x","file":"y"}`, "exactly one of"},
		{"\n{\"code\":\"x\"}", "line 2: lang is required"},
		{`{"lang":"python","code":"x","timeout":-1}`, "timeout"},
		{`{"lang":"python","code":"x","timeout":"soon"}`, "timeout"},
		{`{"lang":"python","code":"x","shell":"y"}`, "unknown field"},
		{`{"lang":"python","code":"x"} {}`, "one JSON object per line"},
		{`[1]`, "line 1"},
	} {
		_, err := ParseBatch(strings.NewReader(tc.in))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseBatch(%s) = %v, want ErrInvalid containing %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParseBatch(f *testing.F) {
	f.Add(`{"lang":"python","code":"print(1)","timeout":5}`)
	f.Add(`{"lang":"bash","file":"x","timeout":"2s"}`)
	f.Fuzz(func(t *testing.T, s string) {
		lines, err := ParseBatch(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		for _, l := range lines {
			if l.Lang == "" || l.Timeout < 0 {
				t.Fatalf("bad line %+v", l)
			}
		}
	})
}
