package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/cmd/internal/light"
)

// streams are the process's standard streams and environment, passed to
// every command so that tests can run the CLI in-process.
type streams struct {
	in     io.Reader
	out    io.Writer
	errOut io.Writer
	env    func(string) (string, bool)
}

// isTTY reports whether w is a terminal.
func isTTY(w io.Writer) bool { return light.IsTTY(w) }

// newRoot builds the full command tree: light's root with its commands
// (check, policy, pin, hooks), and the commands that link the engine,
// signing and verification. A new command is one line here (or, when it
// links nothing heavier than the gate, in light's commands). It holds no
// global state.
func newRoot(s *streams) *cobra.Command {
	root := light.NewRoot(s.in, s.out, s.errOut, s.env)
	root.AddCommand(
		newVersionCmd(s),
		newEngineCmd(s),
		newRunCmd(s),
		newCallCmd(s),
		newExecCmd(s),
		newRunsCmd(s),
		newSBOMCmd(s),
		newKeysCmd(s),
		newAttestCmd(s),
		newVerifyCmd(s),
		newReportCmd(s),
		newServeCmd(s),
		newSubmitCmd(s),
	)
	// policy is a light command; export, which links attest, is added here.
	for _, c := range root.Commands() {
		if c.Name() == "policy" {
			c.AddCommand(newPolicyExportCmd(s))
		}
	}
	return root
}

// Main runs the full CLI (the pinline-full binary) and returns the process
// exit code.
func Main(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	s := &streams{in: in, out: out, errOut: errOut, env: light.OSEnv}
	return run(ctx, s, args)
}

func run(ctx context.Context, s *streams, args []string) int {
	return light.Execute(ctx, newRoot(s), s.errOut, args)
}

// CommandNames lists the full tree's top-level commands (tests check that
// the pinline binary reaches each of them).
func CommandNames() []string {
	var out []string
	for _, c := range newRoot(&streams{env: light.OSEnv}).Commands() {
		out = append(out, c.Name())
	}
	return out
}
