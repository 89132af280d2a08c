package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/record"
)

// SLSAProvenanceV1 is the SLSA v1 provenance predicate type.
const SLSAProvenanceV1 = "https://slsa.dev/provenance/v1"

// statement is the subset of an in-toto Statement v1 the report reads.
type statement struct {
	Type    string `json:"_type"`
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	PredicateType string `json:"predicateType"`
	Predicate     struct {
		BuildDefinition struct {
			BuildType          string         `json:"buildType"`
			ExternalParameters map[string]any `json:"externalParameters"`
			InternalParameters map[string]any `json:"internalParameters"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
		} `json:"runDetails"`
	} `json:"predicate"`
}

// readProvenance parses the provenance envelope and re-checks its
// signature with verifiers (attest). The verdict never comes from run.json.
func readProvenance(ctx context.Context, dir string, run *record.Run, verifiers []Verifier, problems *[]string) ProvInfo {
	pi := ProvInfo{Verdict: VerdictUnsigned, Subjects: []Subject{}}
	if _, err := os.Stat(filepath.Join(dir, run.BundleName())); err == nil {
		pi.Bundle = true
	}
	b, err := os.ReadFile(filepath.Join(dir, run.ProvenanceName()))
	if errors.Is(err, os.ErrNotExist) {
		if run.Evidence.Signed {
			*problems = append(*problems, "run.json says signed but the provenance file is missing")
		}
		return pi
	}
	pi.Present = true
	if err != nil {
		pi.Verdict, pi.VerdictDetail = VerdictMalformed, err.Error()
		return pi
	}
	env, err := attest.ParseEnvelope(b)
	if err != nil {
		pi.Verdict, pi.VerdictDetail = VerdictMalformed, err.Error()
		return pi
	}
	switch {
	case len(env.Signatures) == 0:
		pi.Verdict = VerdictUnsigned
	case len(verifiers) == 0:
		pi.Verdict = VerdictUnchecked
	default:
		_, err := env.Verify(ctx, toAttest(verifiers))
		switch {
		case err != nil:
			pi.Verdict, pi.VerdictDetail = VerdictInvalid, err.Error()
		case env.PayloadType != attest.PayloadTypeInToto:
			pi.Verdict, pi.VerdictDetail = VerdictInvalid, fmt.Sprintf("payloadType %q, want %q", env.PayloadType, attest.PayloadTypeInToto)
		default:
			pi.Verdict = VerdictVerified
		}
	}
	if env.PayloadType != attest.PayloadTypeInToto {
		*problems = append(*problems, fmt.Sprintf("provenance payloadType %q", env.PayloadType))
	}
	if pi.Verdict != VerdictVerified {
		*problems = append(*problems, "provenance contents below are unverified ("+pi.Verdict+")")
	}
	var st statement
	if err := json.Unmarshal(env.Payload, &st); err != nil {
		*problems = append(*problems, fmt.Sprintf("provenance statement: %v", err))
		if pi.Verdict == VerdictVerified {
			pi.Verdict, pi.VerdictDetail = VerdictMalformed, "signed payload is not an in-toto statement"
		}
		return pi
	}
	pi.PredicateType = st.PredicateType
	pi.BuildType = st.Predicate.BuildDefinition.BuildType
	pi.BuilderID = st.Predicate.RunDetails.Builder.ID
	if sv := run.Service; sv != nil {
		pi.ServiceTier, _ = st.Predicate.BuildDefinition.InternalParameters["tier"].(string)
		pi.ExternalParametersComplete = serviceExternal(st.Predicate.BuildDefinition.ExternalParameters, sv)
	}
	subj := map[string]string{}
	gitSubj := map[string]string{} // name -> commit
	for _, s := range st.Subject {
		pi.Subjects = append(pi.Subjects, Subject{Name: s.Name, SHA256: s.Digest["sha256"]})
		if c, ok := s.Digest["gitCommit"]; ok {
			gitSubj[s.Name] = c
			continue
		}
		subj[s.Digest["sha256"]] = s.Name
	}
	sort.Slice(pi.Subjects, func(i, j int) bool { return pi.Subjects[i].Name < pi.Subjects[j].Name })
	pi.SubjectsMatchOutputs = len(run.Outputs) > 0
	for _, o := range run.Outputs {
		if o.Type == "git" {
			if gitSubj[record.GitName(o)] != o.Commit {
				pi.SubjectsMatchOutputs = false
				*problems = append(*problems, fmt.Sprintf("pushed commit %s of %s is not a provenance subject", o.Commit, record.GitName(o)))
			}
			continue
		}
		if _, ok := subj[o.SHA256]; !ok {
			pi.SubjectsMatchOutputs = false
			*problems = append(*problems, fmt.Sprintf("output %s (sha256:%.12s) is not a provenance subject", o.File, o.SHA256))
		}
	}
	if pi.BuilderID != "" && run.BuilderID != "" && pi.BuilderID != run.BuilderID {
		*problems = append(*problems, fmt.Sprintf("provenance builder %q differs from run.json %q", pi.BuilderID, run.BuilderID))
	}
	return pi
}

// serviceExternal reports whether a server run's externalParameters are
// exactly the submission run.json records: source uri and commit, spec
// path, tasks, and nothing else.
func serviceExternal(ext map[string]any, sv *record.ServerRun) bool {
	if len(ext) != 3 {
		return false
	}
	src, _ := ext["source"].(map[string]any)
	sp, _ := ext["spec"].(map[string]any)
	tasks, _ := ext["tasks"].([]any)
	if len(src) != 2 || len(sp) != 1 || src["uri"] != sv.Repository || src["commit"] != sv.Commit || sp["path"] != sv.SpecPath ||
		len(tasks) != len(sv.Tasks) {
		return false
	}
	for i, t := range tasks {
		if t != sv.Tasks[i] {
			return false
		}
	}
	return true
}
