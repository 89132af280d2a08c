package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/record"
)

type runsOptions struct {
	dir  string
	json bool
}

func (o *runsOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringVar(&o.dir, "dir", ".pinline/runs", "directory of run records")
	c.Flags().BoolVar(&o.json, "json", false, "print the run records as a JSON array")
}

func newRunsCmd(s *streams) *cobra.Command {
	o := &runsOptions{}
	c := &cobra.Command{
		Use:   "runs",
		Short: "List run records, newest first",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			runs, err := record.ListRuns(o.dir)
			if err != nil && len(runs) == 0 {
				if errors.Is(err, record.ErrMalformed) {
					return usageErr(err)
				}
				return opErr(err)
			}
			if err != nil {
				fmt.Fprintf(s.errOut, "pinline: some records could not be read: %v\n", err)
			}
			if o.json {
				if runs == nil {
					runs = []record.Run{}
				}
				return printJSON(s.out, runs)
			}
			tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tSTATUS\tTIER\tBACKEND\tTASKS\tSTARTED\tDURATION\tSIGNED")
			for _, r := range runs {
				dur := "-"
				if !r.FinishedAt.IsZero() {
					dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%v\n", r.ID, r.Status, r.Tier, r.Engine.Backend,
					len(r.Tasks), r.StartedAt.Format(time.RFC3339), dur, r.Evidence.Signed)
			}
			return tw.Flush()
		},
	}
	o.AddFlags(c)
	return c
}
