package cli

import (
	"github.com/pinline/pinline/cmd/internal/light"
	"github.com/pinline/pinline/inventory"
)

// What the full CLI shares with the light commands (cmd/internal/light
// owns them): exit codes, error classes, environment variables, gate
// options, version information.

const (
	ExitOK          = light.ExitOK
	ExitDenied      = light.ExitDenied
	ExitUsage       = light.ExitUsage
	ExitOperational = light.ExitOperational
)

func usageErr(err error) error                  { return light.UsageErr(err) }
func opErr(err error) error                     { return light.OpErr(err) }
func deniedErr(err error) error                 { return light.DeniedErr(err) }
func silentExit(code int) error                 { return light.SilentExit(code) }
func exitCode(err error) (code int, quiet bool) { return light.ExitCode(err) }
func versionInfo() light.VersionInfo            { return light.Version() }

// EnvVar is an environment variable pinline reads (light.EnvVar).
type EnvVar = light.EnvVar

var (
	EnvCosignPassword = light.EnvCosignPassword
	EnvTier           = light.EnvTier
	EnvEngineConfig   = light.EnvEngineConfig
	EnvNoColor        = light.EnvNoColor
	EnvSecrets        = light.EnvSecrets
	EnvDaggerCLI      = light.EnvDaggerCLI
	EnvDaggerCLIBin   = light.EnvDaggerCLIBin
	EnvDaggerConfig   = light.EnvDaggerConfig
	EnvDockerConfig   = light.EnvDockerConfig
	EnvExecPresets    = light.EnvExecPresets
	EnvExecCABundle   = light.EnvExecCABundle
)

type gateTrustOptions = light.GateTrustOptions

// snippetExit ends pinline exec with the snippet's own exit code.
type snippetExit = light.SnippetExit

const policyDataHelp = light.PolicyDataHelp

// daggerUserConfig is light.DaggerUserConfig for the full CLI's streams.
func daggerUserConfig(s *streams) (*inventory.UserConfigFile, error) {
	return light.DaggerUserConfig(s.env)
}
