// Package light holds the commands the pinline binary runs itself (check,
// policy, pin, hooks) and what every command shares: the root command,
// environment variables, error classes and exit codes, version
// information. It links the gate (policy, inventory, spec, pin, hooks) and
// nothing heavier: no cosign, cloud KMS, Kubernetes types or Dagger, whose
// package initialisation would cost every check (docs/benchmarks.md).
//
// Every other command lives in cmd/internal/cli, built as the sibling
// binary pinline-full (cmd/pinline-full), which also contains these
// commands; cmd/pinline runs a light command itself and execs pinline-full
// for anything else (see Dispatch).
package light
