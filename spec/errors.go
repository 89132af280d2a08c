package spec

import (
	"fmt"

	"github.com/pinline/pinline/internal/errclass"
	"gopkg.in/yaml.v3"
)

// Error is an invalid or malformed input file at a position: a spec here,
// and (as inventory.ParseError and policy.ParseError, which are this type)
// dagger.json, dagger.lock, module source and policy data. Line and Column
// are 1-based; zero means unknown (the YAML parser reports some syntax
// errors with a line only). Callers map it to exit code 2 (bad input).
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Is makes every Error bad input (errclass.ErrBadInput, exit 2).
func (e *Error) Is(target error) bool { return target == errclass.ErrBadInput }

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }
