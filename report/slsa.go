package report

import (
	"fmt"

	"github.com/pinline/pinline/record"
)

// slsaChecklist answers the SLSA v1.0 Build track requirements for one
// run from the evidence the report re-checked. It never claims more than
// the evidence shows; L3 is met only by runs pinline serve signed (see
// docs/report.md).
func slsaChecklist(run *record.Run, rr *RunReport) []SLSALevel {
	p := rr.Provenance
	// L1: provenance exists, in the SLSA v1 format, describing the build.
	l1 := []SLSAItem{
		item("Provenance exists", p.Present, ifElse(p.Present, run.ProvenanceName()+" present", "no provenance file (a run that was denied or failed before attestation has none)")),
		item("Provenance is SLSA v1 in-toto", p.PredicateType == SLSAProvenanceV1,
			fmt.Sprintf("predicateType %q, buildType %q", p.PredicateType, p.BuildType)),
		item("Provenance names the outputs", p.SubjectsMatchOutputs,
			fmt.Sprintf("%d subjects for %d outputs in run.json", len(p.Subjects), len(run.Outputs))),
	}
	// L2: hosted build platform, provenance signed by it.
	hosted := run.Engine.Backend == "dagger"
	hostedEv := fmt.Sprintf("engine backend %q", run.Engine.Backend)
	if run.Engine.Gateway != "" {
		hostedEv += fmt.Sprintf(" via mTLS gateway %s (identity %q)", run.Engine.Gateway, run.Who.Identity)
	}
	if run.Engine.NativeTLS != "" {
		hostedEv += "; " + nativeNote(run)
	}
	sig := SLSAItem{Requirement: "Provenance is authentic (signature re-checked now)", Evidence: "verdict: " + p.Verdict}
	switch p.Verdict {
	case VerdictVerified:
		sig.Status = SLSAMet
	case VerdictUnchecked:
		sig.Status = SLSANotChecked
		sig.Evidence += " (give --key)"
	default:
		sig.Status = SLSANotMet
		if p.VerdictDetail != "" {
			sig.Evidence += ": " + p.VerdictDetail
		}
	}
	l2 := []SLSAItem{
		item("Build ran on a build platform, not the workstation", hosted, hostedEv),
		item("Builder identified", run.BuilderID != "" && (p.BuilderID == "" || p.BuilderID == run.BuilderID),
			fmt.Sprintf("builder id %q, provenance says %q", run.BuilderID, p.BuilderID)),
		sig,
	}
	// L3: hardened builds. Only a run the control plane (pinline serve)
	// executed and signed can meet it: the tier's key lives in the server,
	// never with the tenant. A client-signed run stays at L2.
	var l3 []SLSAItem
	if sv := run.Service; sv != nil {
		serverSigned := p.Verdict == VerdictVerified && sv.SignerKeyID != "" && run.Evidence.KeyRef == sv.SignerKeyID && p.ServiceTier == run.Tier
		l3 = []SLSAItem{
			item("Builds isolated from one another", sv.Engine != "" && run.Tier != "",
				fmt.Sprintf("pinline serve fetched commit %s of %s into a fresh workspace and ran it on tier %q's engine %s (cache mode %q)", sv.Commit, sv.Repository, run.Tier, sv.Engine, run.CacheMode)),
			item("Signing key unreachable by the tenant", serverSigned,
				fmt.Sprintf("signed by pinline serve %s with tier %q's key (key id %s), signature verified now; provenance internalParameters.tier %q", sv.ServerVersion, sv.Tier, sv.SignerKeyID, p.ServiceTier)),
			item("Provenance non-falsifiable", serverSigned && p.ExternalParametersComplete && p.BuilderID == run.BuilderID && run.BuilderID != "",
				fmt.Sprintf("builder id %q; externalParameters complete (repository, commit, spec path, tasks and nothing else): %v", p.BuilderID, p.ExternalParametersComplete)),
		}
	} else {
		isolated := run.Engine.Gateway != "" && run.Tier != ""
		l3 = []SLSAItem{
			item("Builds isolated from one another", false, ifElse(isolated,
				fmt.Sprintf("tier %q on its own engine behind the gateway, cache mode %q; tasks are containers, but runs within a tier share cache volumes and the engine", run.Tier, run.CacheMode),
				"no gateway tier recorded; runs share the engine and its caches")),
			item("Signing key unreachable by the tenant", false,
				"provenance is signed by the pinline client with a key given to the person or CI job running it (keyRef "+quote(run.Evidence.KeyRef)+"); nothing proves the key was isolated from the build's owner"),
			item("Provenance non-falsifiable", false, "follows from the above: whoever holds the key can sign any statement"),
		}
	}
	lv1 := level("L1", l1)
	l2 = append([]SLSAItem{item("L1 met", lv1.Status == SLSAMet, "L1 is "+lv1.Status)}, l2...)
	lv2 := level("L2", l2)
	l3 = append([]SLSAItem{item("L2 met", lv2.Status == SLSAMet, "L2 is "+lv2.Status)}, l3...)
	return []SLSALevel{lv1, lv2, level("L3", l3)}
}

func item(req string, ok bool, ev string) SLSAItem {
	return SLSAItem{Requirement: req, Status: ifElse(ok, SLSAMet, SLSANotMet), Evidence: ev}
}

// level is met when every requirement is met; not checked when none is
// unmet but one is unchecked.
func level(name string, items []SLSAItem) SLSALevel {
	st := SLSAMet
	for _, it := range items {
		if it.Status == SLSANotMet {
			st = SLSANotMet
			break
		}
		if it.Status == SLSANotChecked {
			st = SLSANotChecked
		}
	}
	return SLSALevel{Level: name, Status: st, Requirements: items}
}

func ifElse(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

func quote(s string) string {
	if s == "" {
		return "none recorded"
	}
	return fmt.Sprintf("%q", s)
}
