package finding

import "testing"

func TestWhere(t *testing.T) {
	for _, tc := range []struct {
		p    Pos
		want string
	}{
		{Pos{}, ""},
		{Pos{Line: 3}, ""},
		{Pos{File: "a/dagger.json"}, "a/dagger.json"},
		{Pos{File: "a/dagger.json", Line: 3}, "a/dagger.json:3"},
		{Pos{File: "a/dagger.json", Line: 3, Column: 7}, "a/dagger.json:3:7"},
	} {
		if got := tc.p.Where(); got != tc.want {
			t.Errorf("%+v.Where() = %q, want %q", tc.p, got, tc.want)
		}
	}
}
