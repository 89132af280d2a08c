// Package errclass is the one set of error classes pinline's libraries wrap
// and the CLI maps to exit codes: ErrDenied (1: a policy said no, a
// verification failed, a task failed), ErrBadInput (2: malformed or missing
// input, wrong usage) and ErrOperational (3: something broke). An error
// nobody classified is operational at the CLI: pinline fails closed.
//
// It is a shared leaf: every pinline package may import it, and it imports
// no pinline package.
package errclass
