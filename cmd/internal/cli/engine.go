package cli

import (
	"errors"
	"io/fs"

	"github.com/spf13/cobra"

	engineconfig "github.com/pinline/pinline/engine-config"
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

// configErr classifies a configuration load error: bad or missing files
// are usage errors (exit 2), anything else is operational.
func configErr(err error) error {
	if errors.Is(err, engineconfig.ErrInvalid) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return usageErr(err)
	}
	return opErr(err)
}
