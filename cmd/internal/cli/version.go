package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/cmd/internal/light"
)

// version runs in the full binary: it reports the libraries that binary
// links (the light pinline binary links only the gate's).
func newVersionCmd(s *streams) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print pinline's version and the versions of the libraries it links",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := light.Version()
			if asJSON {
				return printJSON(s.out, v)
			}
			fmt.Fprintf(s.out, "pinline %s\n", v.Version)
			if v.Commit != "" {
				fmt.Fprintf(s.out, "commit   %s\n", v.Commit)
			}
			fmt.Fprintf(s.out, "go       %s %s\n", v.GoVersion, v.Platform)
			for _, l := range light.ReportedLibraries() {
				fmt.Fprintf(s.out, "%-20s %s\n", l, v.Libraries[l])
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}
