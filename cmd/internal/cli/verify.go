package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/policy"
	"github.com/spf13/cobra"
)

type verifyOptions struct {
	key          keyOptions
	keyless      keylessOptions
	pack         packVerifyOptions
	Attestation  []string
	Attestations string
	Artifacts    []string
	Digests      []string
	Type         string
	BuilderID    string
	SourceURI    string
	SourceRef    string
	Tier         string
	Identity     string
	CacheMode    string
	Policy       string
	AllBuiltins  bool
	Format       string
	Jobs         int
	Image        string
	registry     registryOptions
}

func (o *verifyOptions) AddFlags(c *cobra.Command) {
	o.key.addVerifyFlag(c)
	f := c.Flags()
	o.pack.AddFlags(f)
	o.keyless.AddFlags(f)
	f.StringArrayVar(&o.Attestation, "attestation", nil, "DSSE envelope, JSON lines of envelopes, or sigstore bundle (repeatable)")
	f.StringVar(&o.Attestations, "attestations", "", "directory of attestations (*.intoto.json, *.intoto.jsonl, *.sigstore.json, *.dsse.json, *.bundle.json)")
	f.StringArrayVar(&o.Artifacts, "artifact", nil, "artifact file that must be a subject (repeatable)")
	f.StringArrayVar(&o.Digests, "digest", nil, "artifact digest ALG:HEX (sha256, sha384, sha512) that must be a subject (repeatable)")
	f.StringVar(&o.Type, "type", "slsaprovenance1", "expected predicate type: slsaprovenance1, cyclonedx, a URI, or blob (message-signature bundles, like cosign verify-blob --bundle)")
	f.StringVar(&o.BuilderID, "builder-id", "", "required runDetails.builder.id (keyless: also the certificate's build signer; without @REF any ref)")
	f.StringVar(&o.SourceURI, "source-uri", "", "required source: externalParameters.source.uri or .workflow.repository (keyless: also the certificate's); scheme and .git ignored")
	f.StringVar(&o.SourceRef, "source-ref", "", "required source ref, e.g. refs/tags/v1 (externalParameters.workflow.ref and, keyless, the certificate's)")
	f.StringVar(&o.Tier, "tier", "", "required externalParameters.tier")
	f.StringVar(&o.Identity, "identity", "", "required gateway identity (internalParameters.gateway.identity); provenance without a gateway fails")
	f.StringVar(&o.CacheMode, "cache-mode", "", "required gateway cache mode, strong or shared (internalParameters.gateway.cacheMode)")
	f.StringVar(&o.Policy, "policy", "", "directory of Rego deploy policies (package pinline.deploy, rules deny; deterministic builtins, input.evaluation is the time; a builtin error fails verification)")
	f.BoolVar(&o.AllBuiltins, "policy-all-builtins", false, "give deploy policies OPA's full builtin set (http.send, net.*, opa.runtime, rand.*, time.now_ns)")
	f.StringVar(&o.Format, "format", "text", "output format: text or json")
	f.IntVar(&o.Jobs, "jobs", runtime.GOMAXPROCS(0), "attestations verified in parallel")
	f.StringVar(&o.Image, "image", "", "verify the attestations attached to an image: host/repository@sha256:HEX (OCI referrers and cosign's .att tag; a reference without a digest is refused)")
	o.registry.AddFlags(f)
}

func newVerifyCmd(s *streams) *cobra.Command {
	var o verifyOptions
	c := &cobra.Command{
		Use:   "verify (--key KEY | --trusted-root FILE --certificate-identity ID --certificate-oidc-issuer URL) (--attestation FILE (--artifact FILE... | --digest ALG:HEX) | --image HOST/REPO@sha256:HEX | --pack FILE.tar.gz --pack-key PACK_KEY --key KEY)",
		Short: "Verify signed attestations before deploy (exit 0 verified, 1 failed, 2 bad input, 3 operational)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Image != "" {
				return runVerifyImage(cmd, s, &o)
			}
			if o.pack.Pack != "" {
				return runVerifyPack(cmd.Context(), s, o.pack.Pack, o.pack.PackKeys, o.key.Keys)
			}
			return runVerify(cmd, s, &o)
		},
	}
	o.AddFlags(c)
	return c
}

func (o *verifyOptions) options(cmd *cobra.Command) (*attest.VerifyOptions, error) {
	if o.Format != "text" && o.Format != "json" {
		return nil, usageErr(fmt.Errorf("unknown --format %q, valid formats are %q", o.Format, []string{"text", "json"}))
	}
	if len(o.Attestation) == 0 && o.Attestations == "" && o.Image == "" {
		return nil, usageErr(errors.New("--attestation FILE or --attestations DIR is required"))
	}
	if len(o.Artifacts) == 0 && len(o.Digests) == 0 && o.Image == "" {
		return nil, usageErr(errors.New("--artifact FILE or --digest ALG:HEX is required"))
	}
	if o.CacheMode != "" && o.CacheMode != "strong" && o.CacheMode != "shared" {
		return nil, usageErr(fmt.Errorf("unknown --cache-mode %q, valid modes are %q", o.CacheMode, []string{"strong", "shared"}))
	}
	ptype := attest.TypeBlob
	if o.Type != attest.TypeBlob {
		var err error
		if ptype, err = attest.PredicateTypeFor(o.Type); err != nil {
			return nil, usageErr(err)
		}
	}
	ref, err := o.keyless.sourceRef(o.SourceRef)
	if err != nil {
		return nil, err
	}
	vo := &attest.VerifyOptions{PredicateType: ptype, BuilderID: o.BuilderID, SourceURI: o.SourceURI, SourceRef: ref, Tier: o.Tier,
		Identity: o.Identity, CacheMode: o.CacheMode, Workers: o.Jobs}
	for _, d := range o.Digests {
		alg, hexd, err := attest.ParseArtifactDigest(d)
		if err != nil {
			return nil, usageErr(err)
		}
		a := attest.Artifact{Name: d}
		if alg == "sha256" {
			a.SHA256 = hexd
		} else {
			a.Digests = map[string]string{alg: hexd}
		}
		vo.Artifacts = append(vo.Artifacts, a)
	}
	if err := o.keyless.apply(vo, cmd.ErrOrStderr()); err != nil {
		return nil, err
	}
	if len(o.key.Keys) > 0 || vo.Keyless == nil {
		if vo.Verifiers, err = attest.LoadVerifiers(cmd.Context(), o.key.Keys); err != nil {
			if len(o.key.Keys) == 0 {
				return nil, usageErr(errors.New("pass --key KEY (key-signed evidence) or --trusted-root FILE with --certificate-identity and --certificate-oidc-issuer (keyless evidence)"))
			}
			return nil, err
		}
	}
	if o.Policy != "" {
		p, err := policy.LoadDeploy(cmd.Context(), o.Policy, policy.DeployOptions{AllBuiltins: o.AllBuiltins})
		if err != nil {
			return nil, err
		}
		vo.Policy = p
	}
	return vo, nil
}

// attestationFiles is --attestation FILE... followed by what
// attest.FindAttestations finds under --attestations DIR.
func (o *verifyOptions) attestationFiles() ([]string, error) {
	files := append([]string(nil), o.Attestation...)
	if o.Attestations == "" {
		return files, nil
	}
	found, err := attest.FindAttestations(o.Attestations)
	if err != nil {
		return nil, err
	}
	return append(files, found...), nil
}

func runVerify(cmd *cobra.Command, s *streams, o *verifyOptions) error {
	vo, err := o.options(cmd)
	if err != nil {
		return err
	}
	files, err := o.attestationFiles()
	if err != nil {
		return err
	}
	atts, err := attest.ReadAttestations(files, o.Jobs)
	if err != nil {
		return err
	}
	// Artifact files are hashed with sha256 and every other algorithm the
	// statements' subjects use.
	extra := attest.ExtraAlgorithms(atts)
	for _, f := range o.Artifacts {
		a, err := attest.FileDigests(f, f, extra)
		if err != nil {
			return usageErr(fmt.Errorf("%s: %w", f, err))
		}
		vo.Artifacts = append(vo.Artifacts, a)
	}
	rep, verr := attest.Verify(cmd.Context(), vo, atts)
	if o.Format == "json" {
		if err := printJSON(s.out, rep); err != nil {
			return opErr(err)
		}
	} else {
		renderVerifyText(s.out, rep, verr)
	}
	if verr != nil {
		// A failed verification was reported above; anything else is
		// printed as an error.
		if errors.Is(verr, attest.ErrVerificationFailed) {
			return silentExit(ExitDenied)
		}
		return verr
	}
	return nil
}

func renderVerifyText(out io.Writer, rep *attest.Report, verr error) {
	// Buffered: a release gate prints thousands of lines.
	w := bufio.NewWriter(out)
	defer w.Flush()
	for _, r := range rep.Attestations {
		fmt.Fprintf(w, "%s#%d (%s)\n", r.File, r.Index, r.Format)
		for _, c := range r.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "  %s %-13s %s\n", mark, c.Name, c.Detail)
		}
	}
	for _, a := range rep.Artifacts {
		if len(a.CoveredBy) > 0 {
			fmt.Fprintf(w, "artifact %s is a subject of %s\n", artifactLabel(a.Artifact), strings.Join(a.CoveredBy, ", "))
		}
	}
	if verr == nil && rep.Verified {
		fmt.Fprintln(w, "Verified")
		return
	}
	fmt.Fprintf(w, "Verification failed: %v\n", verr)
}

// artifactLabel is "NAME sha256:HEX" (or the first other digest).
func artifactLabel(a attest.Artifact) string {
	if a.SHA256 != "" {
		return a.Name + " sha256:" + a.SHA256
	}
	for _, alg := range attest.DigestAlgorithms {
		if d := a.Digests[alg]; d != "" {
			return a.Name + " " + alg + ":" + d
		}
	}
	return a.Name
}
