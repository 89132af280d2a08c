package errclass

import "errors"

// The error classes. Test them with errors.Is, or take the class of an
// error with Of.
var (
	ErrDenied      = errors.New("denied")
	ErrBadInput    = errors.New("bad input")
	ErrOperational = errors.New("operational error")
)

// classes in the order Of tries them on one error value.
var classes = [...]error{ErrDenied, ErrBadInput, ErrOperational}

// New returns a sentinel error with message msg that belongs to class:
// errors.Is(New(c, m), c) is true. Packages define their own sentinels with
// it (attest.ErrVerificationFailed, pipeline.ErrDenied, ...).
func New(class error, msg string) error {
	return &sentinel{msg: msg, class: class}
}

type sentinel struct {
	msg   string
	class error
}

func (s *sentinel) Error() string        { return s.msg }
func (s *sentinel) Is(target error) bool { return target == s.class }

// Wrap marks err as belonging to class without changing its message. Wrap
// of nil is nil.
func Wrap(class, err error) error {
	if err == nil {
		return nil
	}
	return &wrapped{class: class, err: err}
}

type wrapped struct {
	class error
	err   error
}

func (w *wrapped) Error() string        { return w.err.Error() }
func (w *wrapped) Unwrap() error        { return w.err }
func (w *wrapped) Is(target error) bool { return target == w.class }

// Of returns the class of err: the first one met walking err's tree from the
// outside in (depth first, as errors.Is does), so a class given by a caller
// overrides the classes of the errors it wraps. Of returns nil for nil and
// for an error that carries no class.
func Of(err error) error {
	for err != nil {
		for _, c := range classes {
			if err == c {
				return c
			}
		}
		if x, ok := err.(interface{ Is(error) bool }); ok {
			for _, c := range classes {
				if x.Is(c) {
					return c
				}
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if c := Of(e); c != nil {
					return c
				}
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// Code is the exit code of err's class, the one mapping the CLI and the
// server's run statuses share: 0 for nil, 1 denied, 2 bad input, 3
// operational. ok is false for an error without a class (the caller
// decides; pinline fails closed, so that is never 0).
func Code(err error) (code int, ok bool) {
	if err == nil {
		return 0, true
	}
	switch Of(err) {
	case ErrDenied:
		return 1, true
	case ErrBadInput:
		return 2, true
	case ErrOperational:
		return 3, true
	}
	return 3, false
}
