package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/pinline/pinline/attest"
	"github.com/spf13/pflag"
)

// keylessOptions are verify's keyless flags, with cosign's names (and the
// shortcuts of gh attestation verify and slsa-verifier).
type keylessOptions struct {
	TrustedRoot, TSAChain   string
	Identity                attest.CertificateIdentity
	IgnoreTlog              bool
	SourceTag, SourceBranch string
}

func (o *keylessOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.TrustedRoot, "trusted-root", "", "sigstore trusted_root.json (Fulcio CAs, Rekor logs, CT logs, timestamp authorities) for keyless evidence; nothing is fetched")
	f.StringVar(&o.TSAChain, "timestamp-certificate-chain", "", "PEM chain of a timestamp authority (root included) trusted for RFC 3161 timestamps")
	id := &o.Identity
	f.StringVar(&id.SubjectAlternativeName, "certificate-identity", "", "keyless: the signer's identity (certificate SAN), exact")
	f.StringVar(&id.SubjectAlternativeNameRegexp, "certificate-identity-regexp", "", "keyless: Go regexp the certificate SAN must match")
	f.StringVar(&id.Issuer, "certificate-oidc-issuer", "", "keyless: the OIDC issuer of the identity, exact")
	f.StringVar(&id.IssuerRegexp, "certificate-oidc-issuer-regexp", "", "keyless: Go regexp the OIDC issuer must match")
	f.StringVar(&id.GitHubWorkflowRepository, "certificate-github-workflow-repository", "", "keyless: GitHub workflow repository (certificate extension 1.3.6.1.4.1.57264.1.5)")
	f.StringVar(&id.GitHubWorkflowRef, "certificate-github-workflow-ref", "", "keyless: GitHub workflow ref (extension 1.3.6.1.4.1.57264.1.6)")
	f.StringVar(&id.GitHubWorkflowSHA, "certificate-github-workflow-sha", "", "keyless: GitHub workflow commit (extension 1.3.6.1.4.1.57264.1.3)")
	f.StringVar(&id.GitHubWorkflowName, "certificate-github-workflow-name", "", "keyless: GitHub workflow name (extension 1.3.6.1.4.1.57264.1.4)")
	f.StringVar(&id.GitHubWorkflowTrigger, "certificate-github-workflow-trigger", "", "keyless: GitHub workflow trigger event (extension 1.3.6.1.4.1.57264.1.2)")
	f.StringVar(&id.Owner, "owner", "", "keyless GitHub shortcut (gh attestation verify): the source repository's owner; implies the GitHub Actions issuer")
	f.StringVar(&id.Repo, "repo", "", "keyless GitHub shortcut: OWNER/REPO the source repository must be")
	f.StringVar(&id.SignerWorkflow, "signer-workflow", "", "keyless GitHub shortcut: OWNER/REPO/PATH of the workflow that signed (any ref)")
	f.BoolVar(&o.IgnoreTlog, "insecure-ignore-tlog", false, "INSECURE: do not verify transparency log entries (an RFC 3161 timestamp must then give the signing time)")
	f.StringVar(&o.SourceTag, "source-tag", "", "slsa-verifier shortcut: --source-ref refs/tags/TAG")
	f.StringVar(&o.SourceBranch, "source-branch", "", "slsa-verifier shortcut: --source-ref refs/heads/BRANCH")
}

// sourceRef folds --source-tag and --source-branch into --source-ref.
func (o *keylessOptions) sourceRef(ref string) (string, error) {
	n := 0
	for _, v := range []string{ref, o.SourceTag, o.SourceBranch} {
		if v != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return "", usageErr(errors.New("--source-ref, --source-tag and --source-branch are exclusive"))
	case o.SourceTag != "":
		return "refs/tags/" + o.SourceTag, nil
	case o.SourceBranch != "":
		return "refs/heads/" + o.SourceBranch, nil
	}
	return ref, nil
}

func (o *keylessOptions) identityGiven() bool {
	id := o.Identity
	return id.SubjectAlternativeName != "" || id.SubjectAlternativeNameRegexp != "" || id.Issuer != "" || id.IssuerRegexp != "" ||
		id.Owner != "" || id.Repo != "" || id.SignerWorkflow != ""
}

// apply sets vo's keyless verifier (nil when no keyless flag is set) and
// the authorities that verify timestamps of key-signed bundles.
// --insecure-ignore-tlog is announced on errOut.
func (o *keylessOptions) apply(vo *attest.VerifyOptions, errOut io.Writer) error {
	if o.TrustedRoot == "" {
		if o.identityGiven() || o.IgnoreTlog {
			return usageErr(errors.New("keyless flags need --trusted-root FILE (the sigstore trusted_root.json; pinline fetches nothing)"))
		}
		if o.TSAChain == "" {
			return nil
		}
	}
	tm, err := attest.LoadTrustedRoot(o.TrustedRoot, o.TSAChain)
	if err != nil {
		return err // attest classes it
	}
	vo.TimestampAuthorities = tm
	if o.TrustedRoot == "" {
		return nil // --timestamp-certificate-chain for key-signed bundles only
	}
	if vo.Keyless, err = attest.NewKeyless(tm, o.TrustedRoot, o.Identity, o.IgnoreTlog); err != nil {
		return err // attest classes it
	}
	if o.IgnoreTlog {
		fmt.Fprintln(errOut, "WARNING: --insecure-ignore-tlog: transparency log entries are NOT verified; a signature is accepted without proof it was ever logged (only an RFC 3161 timestamp dates it)")
	}
	return nil
}
