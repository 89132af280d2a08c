package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/admission"
	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/pipeline"
)

type policyExportOptions struct {
	Format    string
	Key       string
	BuilderID string
	Tier      string
	Images    []string
	Name      string
	Output    string
}

func (o *policyExportOptions) AddFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.Format, "format", "", "kyverno (ClusterPolicy) or policy-controller (sigstore ClusterImagePolicy); required")
	f.StringVar(&o.Key, "key", "", "public key PEM the provenance is signed with (the tier's cosign.pub); required")
	f.StringVar(&o.BuilderID, "builder-id", "", "required runDetails.builder.id (default: the --tier's builder id)")
	f.StringVar(&o.Tier, "tier", "", "also require buildDefinition.externalParameters.tier")
	f.StringArrayVar(&o.Images, "images", nil, "image reference glob the policy applies to (repeatable; default every image)")
	f.StringVar(&o.Name, "name", "pinline-provenance", "policy object name")
	f.StringVarP(&o.Output, "output", "o", "", "output file (default stdout)")
}

func newPolicyExportCmd(s *streams) *cobra.Command {
	o := &policyExportOptions{}
	c := &cobra.Command{
		Use:   "export --format kyverno|policy-controller --key FILE (--builder-id ID | --tier NAME) [--images GLOB]... [-o FILE]",
		Short: "Write an admission policy requiring pinline's signed provenance on images (Kyverno ClusterPolicy or sigstore ClusterImagePolicy)",
		Long: `export writes a Kubernetes admission policy that admits a Pod only when each of its
images (matching --images) carries SLSA v1 provenance attached by pinline (run with
image outputs, or attest --image), signed with --key, from the builder --builder-id
(and, with --tier, of that tier). The transparency log is not consulted: pinline
signs offline and the key is the trust anchor.

  pinline policy export --format kyverno --key cosign.pub --tier trusted > policy.yaml
  kubectl apply -f policy.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyExport(s, o)
		},
	}
	o.AddFlags(c)
	return c
}

func runPolicyExport(s *streams, o *policyExportOptions) error {
	switch {
	case o.Format == "":
		return usageErr(fmt.Errorf("--format is required (%s)", strings.Join(admission.Formats, " or ")))
	case o.Key == "":
		return usageErr(errors.New("--key is required"))
	case o.BuilderID == "" && o.Tier == "":
		return usageErr(errors.New("--builder-id or --tier is required"))
	}
	if o.BuilderID == "" {
		o.BuilderID = pipeline.BuilderID(o.Tier)
	}
	pemData, err := os.ReadFile(o.Key)
	if err != nil {
		return usageErr(err)
	}
	// Only a key attest itself verifies with: the policy must not name a
	// key that no signature of pinline's could match.
	if _, err := attest.PublicKeyFromPEM(pemData, o.Key); err != nil {
		return usageErr(fmt.Errorf("--key: %w", err))
	}
	out, err := admission.Export(o.Format, admission.Options{Name: o.Name, PublicKeyPEM: string(pemData), BuilderID: o.BuilderID,
		Tier: o.Tier, Images: o.Images})
	if err != nil {
		return err
	}
	if o.Output == "" {
		_, err = s.out.Write(out)
	} else {
		err = os.WriteFile(o.Output, out, 0o644)
	}
	if err != nil {
		return opErr(err)
	}
	return nil
}
