package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
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
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// color reports whether text output to w may use colour.
func (s *streams) color(w io.Writer) bool {
	if _, set := EnvNoColor.Lookup(s.env); set {
		return false
	}
	return isTTY(w)
}

const exitHelp = `Exit codes:
  0  allowed / verified / succeeded (warnings allowed unless --fail-on-warn)
  1  denied by policy, verification failed, or a task failed
  2  bad input or usage (malformed files, wrong flags)
  3  operational error (engine unreachable, network, KMS, disk)
`

// newRoot builds the command tree. It holds no global state.
func newRoot(s *streams) *cobra.Command {
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
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.errOut)
	// Subcommands inherit it (cobra's FlagErrorFunc falls back to the parent's).
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.SetHelpTemplate(root.HelpTemplate() + "\n" + envHelp() + "\n" + exitHelp)

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
		newCheckCmd(s),
		newPolicyCmd(s),
		newPinCmd(s),
		newHooksCmd(s),
		newReportCmd(s),
	)
	return root
}

// Main runs the CLI and returns the process exit code.
func Main(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	s := &streams{in: in, out: out, errOut: errOut, env: osEnv}
	return run(ctx, s, args)
}

func run(ctx context.Context, s *streams, args []string) int {
	root := newRoot(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code, quiet := exitCode(err)
	if !quiet {
		fmt.Fprintf(s.errOut, "pinline: %v\n", err)
	}
	return code
}
