package cli

import (
	"slices"
	"testing"
)

// TestCallArgs: pinline takes dagger call's result flags out of the
// function's arguments (-o/--output, -o=, --json, a trailing export --path)
// and leaves the rest, in order, to the function.
func TestCallArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args       []string
		want       []string
		output     string
		json, fail bool
	}{
		{args: []string{"--src", ".", "-o", "out.txt"}, want: []string{"--src", "."}, output: "out.txt"},
		{args: []string{"--output=dist", "--src", "."}, want: []string{"--src", "."}, output: "dist"},
		{args: []string{"-o=a", "--name", "x"}, want: []string{"--name", "x"}, output: "a"},
		{args: []string{"--src", ".", "export", "--path", "b.txt"}, want: []string{"--src", "."}, output: "b.txt"},
		{args: []string{"--src", ".", "export", "--path=b.txt"}, want: []string{"--src", "."}, output: "b.txt"},
		{args: []string{"--json", "--name", "x"}, want: []string{"--name", "x"}, json: true},
		{args: []string{"container", "with-exec", "--args", "ls", "stdout"}, want: []string{"container", "with-exec", "--args", "ls", "stdout"}},
		{args: []string{"--src", ".", "-o"}, fail: true},
		{args: []string{"export", "--path", "b", "--extra"}, fail: true},
		{args: []string{"-o", "x", "--json"}, fail: true},
	} {
		o := &callOptions{}
		got, err := callArgs(o, tc.args)
		if tc.fail {
			if err == nil {
				t.Errorf("callArgs(%q) = %q, want an error", tc.args, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) || o.output != tc.output || o.json != tc.json {
			t.Errorf("callArgs(%q) = %q, output %q, json %v, %v; want %q, %q, %v", tc.args, got, o.output, o.json, err, tc.want, tc.output, tc.json)
		}
	}
}
