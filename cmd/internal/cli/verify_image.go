package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/oci"
)

// imageReport is `verify --image --format json`: what the registry held
// and the verdict on it.
type imageReport struct {
	Image    string         `json:"image"`
	Evidence []oci.Item     `json:"evidence"`
	Skipped  []string       `json:"skipped"`
	Report   *attest.Report `json:"report"`
}

// runVerifyImage verifies every attestation attached to one image digest
// exactly as files are verified (attest.Verify with the digest as the
// artifact). No attestation at all is a failure.
func runVerifyImage(cmd *cobra.Command, s *streams, o *verifyOptions) error {
	switch {
	case len(o.Attestation) > 0 || o.Attestations != "" || len(o.Artifacts) > 0 || len(o.Digests) > 0 || o.pack.Pack != "":
		return usageErr(errors.New("--image takes its attestations and its digest from the registry: drop --attestation, --attestations, --artifact, --digest and --pack"))
	}
	d, err := oci.ParseDigestRef(o.Image)
	if err != nil {
		return err
	}
	vo, err := o.options(cmd)
	if err != nil {
		return err
	}
	ro, err := o.registry.ociOptions(s)
	if err != nil {
		return err
	}
	hexd := strings.TrimPrefix(d.DigestStr(), "sha256:")
	vo.Artifacts = []attest.Artifact{{Name: d.Context().String(), SHA256: hexd}}
	found, err := oci.Fetch(cmd.Context(), d, ro)
	if err != nil {
		if errors.Is(err, oci.ErrHostile) {
			fmt.Fprintf(s.out, "Verification failed: %v\n", err)
			return silentExit(ExitDenied)
		}
		return opErr(err)
	}
	ir := &imageReport{Image: d.String(), Evidence: found.Items, Skipped: append([]string{}, found.Skipped...)}
	var atts []attest.Attestation
	for _, it := range found.Attestations() {
		// The annotation is an unsigned hint: it only selects what is
		// verified, and whatever is selected must pass every check.
		if it.PredicateType != "" && vo.PredicateType != "" && it.PredicateType != vo.PredicateType {
			ir.Skipped = append(ir.Skipped, it.Source+" (predicate type "+it.PredicateType+")")
			continue
		}
		a, err := attest.ParseAttestations(it.Source, it.Data)
		if err != nil {
			// Registry content, not the caller's input: a failure.
			fmt.Fprintf(s.out, "Verification failed: %s: %v\n", it.Source, err)
			return silentExit(ExitDenied)
		}
		atts = append(atts, a...)
	}
	if len(atts) == 0 {
		msg := fmt.Sprintf("no attestation of type %s is attached to %s", vo.PredicateType, d)
		if o.Format == "json" {
			ir.Report = &attest.Report{Artifacts: []attest.ArtifactResult{}, Attestations: []*attest.Result{}, Error: msg}
			if err := printJSON(s.out, ir); err != nil {
				return opErr(err)
			}
		} else {
			fmt.Fprintf(s.out, "Verification failed: %s\n", msg)
		}
		return silentExit(ExitDenied)
	}
	rep, verr := attest.Verify(cmd.Context(), vo, atts)
	ir.Report = rep
	if o.Format == "json" {
		if err := printJSON(s.out, ir); err != nil {
			return opErr(err)
		}
	} else {
		for _, it := range found.Items {
			if it.Kind == oci.KindSBOM {
				fmt.Fprintf(s.out, "sbom %s %s\n", it.Source, it.Digest)
			}
		}
		renderVerifyText(s.out, rep, verr)
	}
	if verr != nil {
		if errors.Is(verr, attest.ErrVerificationFailed) {
			return silentExit(ExitDenied)
		}
		return verr
	}
	return nil
}
