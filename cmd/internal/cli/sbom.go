package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/sbom"
)

// sbomOptions are the flags of `pinline sbom`.
type sbomOptions struct {
	Output      string
	Format      string
	SpecVersion string
	Env         string
}

// AddFlags registers the flags.
func (o *sbomOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Output, "output", "o", "", "write the BOM to FILE instead of standard output")
	fs.StringVar(&o.Format, "format", "json", "BOM format: json or xml")
	fs.StringVar(&o.SpecVersion, "spec-version", "1.6", "CycloneDX specification version: 1.6 or 1.5")
	fs.StringVar(&o.Env, "env", "", "apply the dagger.toml workspace environment overlay NAME, as pinline check --env does")
}

func newSBOMCmd(s *streams) *cobra.Command {
	o := &sbomOptions{}
	c := &cobra.Command{
		Use:   "sbom [PATH]",
		Short: "Write the CycloneDX SBOM of a repository's Dagger modules and container images",
		Long: `Write a CycloneDX bill of materials for the repository at PATH (default "."):
its Dagger modules with their dependencies (purls pinned to commits where
dagger.json or dagger.lock pin them), and every container image its
pinline.yaml specs, dagger.lock files and module source name. Images that
module source computes at run time are reported as incomplete compositions.
Runs write their own sbom.cdx.json (with outputs and formulation) to the run
directory. docs/sbom.md describes the content.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return runSBOM(cmd, s, o, path)
		},
	}
	o.AddFlags(c.Flags())
	return c
}

func runSBOM(cmd *cobra.Command, s *streams, o *sbomOptions, path string) error {
	format, err := sbom.ParseFormat(o.Format)
	if err != nil {
		return usageErr(err)
	}
	version, err := sbom.ParseSpecVersion(o.SpecVersion)
	if err != nil {
		return usageErr(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return usageErr(err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		if err == nil {
			err = fmt.Errorf("%s is not a directory", path)
		}
		return usageErr(err)
	}
	ctx := cmd.Context()
	inv, err := inventory.Collect(ctx, inventory.Options{Root: abs, Env: o.Env})
	if err != nil {
		var pe *inventory.ParseError // spec.Error: dagger.json, lock, spec or source
		if errors.As(err, &pe) {
			return usageErr(err)
		}
		return opErr(err)
	}
	bom, err := sbom.FromInventory(ctx, inv, sbom.Options{ToolVersion: versionInfo().Version})
	if err != nil {
		return usageErr(err)
	}
	if o.Output == "" {
		return wrapWrite(sbom.Write(s.out, bom, format, version))
	}
	return writeFileAtomic(o.Output, func(w io.Writer) error { return sbom.Write(w, bom, format, version) })
}

func wrapWrite(err error) error {
	if err != nil {
		return opErr(err)
	}
	return nil
}
