package light

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pinline/pinline/hooks"
)

// hooksInstallOptions are the flags of `pinline hooks install`.
type hooksInstallOptions struct {
	uninstall bool
	all       bool
	bin       string
	run       []string
}

func (o *hooksInstallOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.uninstall, "uninstall", false, "remove the pinline hook and restore the hook it replaced")
	fs.BoolVar(&o.all, "all-files", false, "check the whole repository on each commit, not only the staged files")
	fs.StringVar(&o.bin, "bin", "", "pinline executable the hook runs (default: this executable)")
	fs.StringSliceVar(&o.run, "run", nil, `pinline subcommand and flags the hook runs on the staged files (default "check")`)
}

func newHooksCmd(s *streams) *cobra.Command {
	c := &cobra.Command{Use: "hooks", Short: "Manage the git pre-commit hook"}
	o := &hooksInstallOptions{}
	install := &cobra.Command{
		Use:   "install",
		Short: "Install (or --uninstall) the pinline git pre-commit hook",
		Long: `Install a pre-commit hook that runs 'pinline check' on the staged dagger.json,
dagger.lock, pinline.yaml and module source files. Idempotent; a pre-commit hook
that is already there is kept as pre-commit.pinline-chained and run first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := hooks.Options{Bin: o.bin, Args: o.run, All: o.all}
			if opts.Bin == "" {
				if exe, err := os.Executable(); err == nil {
					opts.Bin = exe
				}
			}
			var res hooks.Result
			var err error
			if o.uninstall {
				res, err = hooks.Uninstall(cmd.Context(), opts)
			} else {
				res, err = hooks.Install(cmd.Context(), opts)
			}
			switch {
			case errors.Is(err, hooks.ErrNotRepository), errors.Is(err, hooks.ErrChainOccupied):
				return usageErr(err)
			case err != nil:
				return opErr(err)
			}
			fmt.Fprintf(s.out, "%s %s\n", res.Action, res.Hook)
			if res.Chained != "" {
				fmt.Fprintf(s.out, "chained %s\n", res.Chained)
			}
			return nil
		},
	}
	o.AddFlags(install.Flags())
	c.AddCommand(install)
	return c
}
