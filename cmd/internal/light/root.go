package light

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// commands are the light commands: run by the pinline binary itself, and
// added to the full binary's tree (cmd/internal/cli). A new command that
// links nothing heavier than the gate is one line here; any other command
// is one line in cmd/internal/cli's newRoot.
func commands(s *streams) []*cobra.Command {
	return []*cobra.Command{
		newCheckCmd(s),
		newPolicyCmd(s),
		newPinCmd(s),
		newHooksCmd(s),
	}
}

// streams are the process's standard streams and environment, passed to
// every command so that tests can run the CLI in-process.
type streams struct {
	in     io.Reader
	out    io.Writer
	errOut io.Writer
	env    func(string) (string, bool)
}

// IsTTY reports whether w is a terminal.
func IsTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// color reports whether text output to w may use colour.
func (s *streams) color(w io.Writer) bool {
	if _, set := EnvNoColor.Lookup(s.env); set {
		return false
	}
	return IsTTY(w)
}

const exitHelp = `Exit codes:
  0  allowed / verified / succeeded (warnings allowed unless --fail-on-warn)
  1  denied by policy, verification failed, or a task failed
  2  bad input or usage (malformed files, wrong flags)
  3  operational error (engine unreachable, network, KMS, disk)
`

// NewRoot builds the root command with the light commands; the full CLI
// adds the others. It holds no global state.
func NewRoot(in io.Reader, out, errOut io.Writer, env func(string) (string, bool)) *cobra.Command {
	s := &streams{in: in, out: out, errOut: errOut, env: env}
	root := &cobra.Command{
		Use:   "pinline",
		Short: "Gate, run and attest Dagger pipelines",
		Long: `pinline is a supply-chain-hardened pipeline platform for Dagger.

It gates a repository before anything runs (OPA/Rego policies over dagger.json,
dagger.lock, pinline.yaml and module source), executes pipelines on a real
Dagger engine, emits a CycloneDX SBOM and signed SLSA provenance, and verifies
that evidence before deploy.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	// Subcommands inherit it (cobra's FlagErrorFunc falls back to the parent's).
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.SetHelpTemplate(root.HelpTemplate() + "\n" + EnvHelp() + "\n" + exitHelp)
	root.AddCommand(commands(s)...)
	return root
}

// Execute runs root with args and returns the process exit code, printing
// the error unless the command already reported it.
func Execute(ctx context.Context, root *cobra.Command, errOut io.Writer, args []string) int {
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code, quiet := exitCode(err)
	if !quiet {
		fmt.Fprintf(errOut, "pinline: %v\n", err)
	}
	return code
}

// Main runs a light command in-process and returns the exit code.
func Main(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	return Execute(ctx, NewRoot(in, out, errOut, OSEnv), errOut, args)
}

// IsLight reports whether args (without the program name) start with a
// light command, which the pinline binary runs itself. Anything else (the
// full binary's commands, help, no arguments, flags first, a typo) goes
// to pinline-full, which knows every command and gives the same errors.
func IsLight(args []string) bool {
	if len(args) == 0 {
		return false
	}
	// policy is light for its test subcommand only: export links attest
	// (the full binary adds it to policy), and help for policy itself
	// must list it.
	if args[0] == "policy" {
		return len(args) > 1 && args[1] == "test"
	}
	return slices.ContainsFunc(commands(&streams{}), func(c *cobra.Command) bool {
		return c.Name() == args[0] || slices.Contains(c.Aliases, args[0])
	})
}
