package pin

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnifiedDiff(t *testing.T) {
	t.Parallel()
	many := func(n int, changed map[int]string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			if c, ok := changed[i]; ok {
				b.WriteString(c + "\n")
				continue
			}
			b.WriteString("line" + itoa3(i) + "\n")
		}
		return b.String()
	}
	tests := []struct {
		name, a, b, want string
	}{
		{"one line, no newline", "a", "b", "--- a\n+++ b\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n"},
		{"insert at end", "a\n", "a\nb\n", "--- a\n+++ b\n@@ -1,1 +1,2 @@\n a\n+b\n"},
		{"two hunks", many(20, nil), many(20, map[int]string{2: "X", 18: "Y"}),
			"--- a\n+++ b\n@@ -1,5 +1,5 @@\n line1\n-line2\n+X\n line3\n line4\n line5\n" +
				"@@ -15,6 +15,6 @@\n line15\n line16\n line17\n-line18\n+Y\n line19\n line20\n"},
		{"identical", "a\n", "a\n", "--- a\n+++ b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := unifiedDiff(&out, "a", "b", []byte(tt.a), []byte(tt.b)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func itoa3(i int) string {
	return strings.TrimLeft(string([]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)}), "0")
}
