package errclass

import (
	"errors"
	"fmt"
	"testing"
)

type typed struct{}

func (typed) Error() string        { return "typed" }
func (typed) Is(target error) bool { return target == ErrBadInput }

func TestOf(t *testing.T) {
	t.Parallel()
	denied := New(ErrDenied, "run denied")
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"nil", nil, nil},
		{"unclassified", errors.New("x"), nil},
		{"class itself", ErrBadInput, ErrBadInput},
		{"sentinel", denied, ErrDenied},
		{"wrapped sentinel", fmt.Errorf("ctx: %w", denied), ErrDenied},
		{"typed Is", fmt.Errorf("ctx: %w", typed{}), ErrBadInput},
		{"outermost wins", Wrap(ErrOperational, fmt.Errorf("a: %w", denied)), ErrOperational},
		{"outermost of a join", fmt.Errorf("%w: %w", New(ErrBadInput, "bad"), denied), ErrBadInput},
		{"second of a join", fmt.Errorf("%w: %w", errors.New("plain"), denied), ErrDenied},
		{"wrap nil", Wrap(ErrDenied, nil), nil},
	} {
		if got := Of(tc.err); got != tc.want {
			t.Errorf("%s: Of(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestWrapKeepsMessageAndChain(t *testing.T) {
	t.Parallel()
	inner := errors.New("inner")
	err := Wrap(ErrDenied, inner)
	if err.Error() != "inner" || !errors.Is(err, inner) || !errors.Is(err, ErrDenied) || errors.Is(err, ErrBadInput) {
		t.Errorf("Wrap = %v", err)
	}
	s := New(ErrOperational, "engine error")
	if s.Error() != "engine error" || !errors.Is(fmt.Errorf("x: %w", s), ErrOperational) {
		t.Errorf("New = %v", s)
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		ok   bool
	}{
		{nil, 0, true},
		{Wrap(ErrDenied, errors.New("policy said no")), 1, true},
		{fmt.Errorf("spec: %w", New(ErrBadInput, "line 3: unknown key")), 2, true},
		{Wrap(ErrOperational, errors.New("engine gone")), 3, true},
		{errors.New("unclassified"), 3, false},
	} {
		if code, ok := Code(tc.err); code != tc.code || ok != tc.ok {
			t.Errorf("Code(%v) = %d, %v; want %d, %v", tc.err, code, ok, tc.code, tc.ok)
		}
	}
}
