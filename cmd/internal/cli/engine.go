package cli

import (
	"github.com/spf13/cobra"
)

// newEngineCmd groups the engine gateway commands.
func newEngineCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "engine",
		Short: "mTLS gateway in front of Dagger engines, development certificates, endpoint probe",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newEngineGatewayCmd(s), newEngineCertsCmd(s), newEngineCheckCmd(s), newEngineAdminCmd(s))
	return c
}
