package light

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/policy"
)

type policyTestOptions struct {
	run         string
	verbose     bool
	allBuiltins bool
}

func (o *policyTestOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringVar(&o.run, "run", "", "only run tests whose names match this regular expression")
	c.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "print every test, not only failures")
	c.Flags().BoolVar(&o.allBuiltins, "policy-all-builtins", false, "give the policies under test OPA's full builtin set (as check --policy-all-builtins)")
}

func newPolicyCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "policy",
		Short: "Work with Rego policies",
	}
	c.AddCommand(newPolicyTestCmd(s))
	return c
}

func newPolicyTestCmd(s *streams) *cobra.Command {
	o := &policyTestOptions{}
	c := &cobra.Command{
		Use:   "test [DIR...]",
		Short: "Run Rego unit tests (same semantics as opa test); default: the embedded policies",
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := policy.RunTests(cmd.Context(), policy.TestOptions{Dirs: args, Filter: o.run, AllBuiltins: o.allBuiltins})
			if err != nil {
				return err
			}
			for _, r := range rep.Results {
				switch {
				case r.Skip:
					if o.verbose {
						fmt.Fprintf(s.out, "SKIP %s.%s\n", r.Package, r.Name)
					}
				case !r.Pass:
					fmt.Fprintf(s.out, "%s:%d: FAIL %s.%s: %s\n", r.Pos.File, r.Pos.Line, r.Package, r.Name, r.Error)
				case o.verbose:
					fmt.Fprintf(s.out, "PASS %s.%s (%s)\n", r.Package, r.Name, r.Duration)
				}
			}
			fmt.Fprintf(s.out, "PASS: %d/%d", rep.Passed, rep.Passed+rep.Failed)
			if rep.Skipped > 0 {
				fmt.Fprintf(s.out, " (%d skipped)", rep.Skipped)
			}
			fmt.Fprintln(s.out)
			if rep.Passed+rep.Failed == 0 {
				return usageErr(fmt.Errorf("no tests found in %v", args))
			}
			if !rep.OK() {
				return silentExit(ExitDenied)
			}
			return nil
		},
	}
	o.AddFlags(c)
	return c
}
