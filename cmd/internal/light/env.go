package light

import (
	"fmt"
	"os"
	"strings"
)

// EnvVar is an environment variable pinline reads. This list is the only
// place they are named; --help prints it.
type EnvVar struct {
	Name string
	Help string
}

// Environment variables pinline reads.
var (
	EnvCosignPassword = EnvVar{"COSIGN_PASSWORD", "password of encrypted cosign private keys (keys generate, attest, run --key)"}
	EnvTier           = EnvVar{"PINLINE_TIER", "default trust tier for check and run (--tier wins)"}
	EnvEngineConfig   = EnvVar{"PINLINE_ENGINE_CONFIG", "path of the client engine.json (--engine-config wins)"}
	EnvNoColor        = EnvVar{"NO_COLOR", "disable colour in text output when set to any value"}
	EnvSecrets        = EnvVar{"PINLINE_SECRETS", "operator secrets file for run: per tier, where each logical secret comes from (--secrets wins; docs/secrets.md)"}
	EnvDaggerCLI      = EnvVar{"PINLINE_DAGGER_CLI", "dagger CLI binary (v0.19.10) run uses to open engine sessions (default: _EXPERIMENTAL_DAGGER_CLI_BIN, then dagger on PATH)"}
	EnvDaggerCLIBin   = EnvVar{"_EXPERIMENTAL_DAGGER_CLI_BIN", "fallback for PINLINE_DAGGER_CLI (the Dagger SDK's own variable)"}
	EnvDockerConfig   = EnvVar{"DOCKER_CONFIG", "directory of the operator's docker config.json: registry credentials for image outputs, attest --image and verify --image (--registry-config wins; default ~/.docker)"}
	EnvExecPresets    = EnvVar{"PINLINE_EXEC_PRESETS", "presets lock file exec reads (--presets wins; hack/setup.d/45-presets.sh writes one)"}
	EnvExecCABundle   = EnvVar{"PINLINE_EXEC_CA_BUNDLE", "PEM bundle exec's package-install steps trust (--ca-bundle wins; docs/exec.md)"}
	EnvDaggerConfig   = EnvVar{"DAGGER_CONFIG", "user-level Dagger config check reads for workspace overrides (default $XDG_CONFIG_HOME or ~/.config, dagger/config.toml)"}
)

// envVars lists every variable, for --help.
func envVars() []EnvVar {
	return []EnvVar{EnvCosignPassword, EnvTier, EnvEngineConfig, EnvSecrets, EnvNoColor, EnvDaggerCLI, EnvDaggerCLIBin, EnvDaggerConfig, EnvDockerConfig, EnvExecPresets, EnvExecCABundle}
}

// Lookup returns the variable's value from the given environment.
func (v EnvVar) Lookup(env func(string) (string, bool)) (string, bool) {
	return env(v.Name)
}

// EnvHelp is the Environment section of --help.
func EnvHelp() string {
	var b strings.Builder
	b.WriteString("Environment:\n")
	for _, v := range envVars() {
		fmt.Fprintf(&b, "  %-22s %s\n", v.Name, v.Help)
	}
	return b.String()
}

// OSEnv is the real environment.
func OSEnv(name string) (string, bool) { return os.LookupEnv(name) }
