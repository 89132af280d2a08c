package inventory

import (
	"fmt"

	"github.com/pinline/pinline/spec"
)

// ParseError is a malformed input file. Line and Column are 1-based; zero
// means unknown. Callers map it to exit code 2 (bad input). It is
// spec.Error: every input error of pinline has one type.
type ParseError = spec.Error

// LineIndex maps byte offsets of one file to 1-based line and column (in
// bytes) numbers; pin locates its edits with it too.
type LineIndex []int // offsets of line starts

// NewLineIndex indexes the line starts of data.
func NewLineIndex(data []byte) LineIndex {
	idx := make(LineIndex, 1, 64)
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// Pos returns the line and column (in bytes) of offset.
func (l LineIndex) Pos(offset int) (line, col int) {
	lo, hi := 0, len(l)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l[mid] <= offset {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, offset - l[lo] + 1
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
