package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set with -ldflags "-X github.com/pinline/pinline/cmd/internal/cli.version=..."
var (
	version = "dev"
	commit  = ""
)

// VersionInfo is what `pinline version` prints.
type VersionInfo struct {
	Version   string            `json:"version"`
	Commit    string            `json:"commit"`
	GoVersion string            `json:"goVersion"`
	Platform  string            `json:"platform"`
	Libraries map[string]string `json:"libraries"`
}

// libraries whose versions `pinline version` reports.
var reportedLibraries = []struct{ name, path string }{
	{"opa", "github.com/open-policy-agent/opa"},
	{"dagger", "dagger.io/dagger"},
	{"cosign", "github.com/sigstore/cosign/v2"},
	{"cyclonedx-go", "github.com/CycloneDX/cyclonedx-go"},
	{"in-toto-golang", "github.com/in-toto/in-toto-golang"},
	{"in-toto-attestation", "github.com/in-toto/attestation"},
}

func versionInfo() VersionInfo {
	v := VersionInfo{Version: version, Commit: commit, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Libraries: map[string]string{}}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	deps := map[string]string{}
	for _, d := range bi.Deps {
		deps[d.Path] = d.Version
		if d.Replace != nil {
			deps[d.Path] = d.Replace.Version
		}
	}
	for _, l := range reportedLibraries {
		if ver, ok := deps[l.path]; ok {
			v.Libraries[l.name] = ver
		} else {
			v.Libraries[l.name] = "(not linked)"
		}
	}
	if v.Commit == "" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Commit = s.Value
			}
		}
	}
	if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Version = bi.Main.Version
	}
	return v
}

func newVersionCmd(s *streams) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print pinline's version and the versions of the libraries it links",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := versionInfo()
			if asJSON {
				return printJSON(s.out, v)
			}
			fmt.Fprintf(s.out, "pinline %s\n", v.Version)
			if v.Commit != "" {
				fmt.Fprintf(s.out, "commit   %s\n", v.Commit)
			}
			fmt.Fprintf(s.out, "go       %s %s\n", v.GoVersion, v.Platform)
			for _, l := range reportedLibraries {
				fmt.Fprintf(s.out, "%-20s %s\n", l.name, v.Libraries[l.name])
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}
