package spec

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDeepNesting(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"version: 1\ntasks: " + strings.Repeat("[", 200000),
		"version: 1\ntasks: " + strings.Repeat("{a: ", 50000),
		"version: 1\ntasks:\n" + strings.Repeat(" ", 100) + strings.Repeat("- ", 100000),
	} {
		_, err := Parse("s.yaml", []byte(in))
		var se *Error
		if !errors.As(err, &se) {
			t.Errorf("error %v is not a *spec.Error", err)
		}
	}
}
