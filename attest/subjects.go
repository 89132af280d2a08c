package attest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// digestHexLen are the subject digest algorithms verification matches on,
// with their hex lengths. A subject must carry at least one of them.
var digestHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// DigestAlgorithms are the algorithms of --digest and of subjects, in the
// order artifacts are labelled.
var DigestAlgorithms = []string{"sha256", "sha384", "sha512"}

// ParseArtifactDigest parses "ALG:HEX" for ALG among DigestAlgorithms.
func ParseArtifactDigest(s string) (alg, hexd string, err error) {
	alg, hexd, ok := strings.Cut(s, ":")
	hexd = strings.ToLower(hexd)
	if n, known := digestHexLen[alg]; !ok || !known || !isHexLen(hexd, n) {
		return "", "", fmt.Errorf("%w: digest %q is not ALG:HEX with ALG one of %q (sha256:<64 hex digits>, ...)", ErrBadInput, s, DigestAlgorithms)
	}
	return alg, hexd, nil
}

func isHexLen(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// digest is a's digest in alg, "" if unknown.
func (a *Artifact) digest(alg string) string {
	if alg == "sha256" {
		return a.SHA256
	}
	return a.Digests[alg]
}

// label names a by its strongest-known first digest, for messages.
func (a *Artifact) label() string {
	for _, alg := range DigestAlgorithms {
		if d := a.digest(alg); d != "" {
			return a.Name + " (" + alg + ":" + d + ")"
		}
	}
	return a.Name
}

// keys are a's hex digests.
func (a *Artifact) keys() []string {
	var out []string
	for _, alg := range DigestAlgorithms {
		if d := a.digest(alg); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// matches: a subject's digests and the artifact's share an algorithm, and
// agree on every algorithm both have.
func (a *Artifact) matches(subj map[string]string) bool {
	common := false
	for alg, v := range subj {
		if d := a.digest(alg); d != "" {
			if d != v {
				return false
			}
			common = true
		}
	}
	return common
}

func (a *Artifact) coveredBy(subjects []map[string]string) bool {
	return slices.ContainsFunc(subjects, a.matches)
}

// subjectDigests lists each subject's digests in DigestAlgorithms
// (lowercase). A subject without a valid one is an error: it could never
// match.
func (st *statementDoc) subjectDigests() ([]map[string]string, error) {
	if len(st.Subject) == 0 {
		return nil, failed(ErrNoSubjects, "the statement lists no subjects")
	}
	out := make([]map[string]string, 0, len(st.Subject))
	for i, s := range st.Subject {
		// The statement is ours: its digest map is filtered in place.
		m := s.Digest
		git := m["gitCommit"]
		for alg, v := range m {
			n, ok := digestHexLen[alg]
			if !ok {
				delete(m, alg)
				continue
			}
			if !isHexLen(v, n) {
				if v = strings.ToLower(v); !isHexLen(v, n) {
					return nil, failed(ErrNoSubjects, "subject %d (%q) has an invalid %s digest", i, s.Name, alg)
				}
				m[alg] = v
			}
		}
		if len(m) == 0 {
			if isGitCommit(git) {
				continue // a pushed commit: no file can match it
			}
			return nil, failed(ErrNoSubjects, "subject %d (%q) has no %s digest", i, s.Name, strings.Join(DigestAlgorithms, ", "))
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, failed(ErrNoSubjects, "the statement lists only git commits, no file subjects")
	}
	return out, nil
}

// subjectLabel is a subject as Result.Subjects lists it: the sha256 hex
// digest, or "alg:hex" of another algorithm.
func subjectLabel(m map[string]string) string {
	if d, ok := m["sha256"]; ok {
		return d
	}
	for _, alg := range DigestAlgorithms {
		if d, ok := m[alg]; ok {
			return alg + ":" + d
		}
	}
	return ""
}

// ExtraAlgorithms lists the digest algorithms besides sha256 that the
// attestations' subjects may use, so that callers hash artifacts with them
// too (FileDigests). It only looks for the member names in the payloads: a
// miss means an artifact lacks that digest and cannot match (fail closed).
func ExtraAlgorithms(atts []Attestation) []string {
	var out []string
	for _, alg := range DigestAlgorithms[1:] {
		key := []byte(`"` + alg + `"`)
		for i := range atts {
			if e := atts[i].Envelope; e != nil && bytes.Contains(e.Payload, key) {
				out = append(out, alg)
				break
			}
		}
	}
	return out
}

// checkSubjects records r's subjects and checks they cover the artifacts
// (all of them for a single attestation, one otherwise).
func (o *VerifyOptions) checkSubjects(r *Result, subjects []map[string]string) error {
	r.subjects = subjects
	r.Subjects = make([]string, len(subjects))
	for i, s := range subjects {
		r.Subjects[i] = subjectLabel(s)
	}
	covered := 0
	if o.artIndex != nil && !o.requireAll {
		if o.coversOne(subjects) {
			covered = 1
		}
	} else {
		for i := range o.Artifacts {
			if o.Artifacts[i].coveredBy(subjects) {
				covered++
			}
		}
	}
	if covered == 0 || (o.requireAll && covered < len(o.Artifacts)) {
		for i := range o.Artifacts {
			if art := &o.Artifacts[i]; !art.coveredBy(subjects) {
				return r.fail("subjects", failed(ErrSubjectMismatch, "%s is not among the %d subject(s)", art.label(), len(subjects)))
			}
		}
	}
	if o.requireAll {
		r.pass("subjects", fmt.Sprintf("%d subject(s), covers all %d artifact(s)", len(subjects), covered))
	} else {
		r.pass("subjects", fmt.Sprintf("%d subject(s), covers at least one artifact", len(subjects)))
	}
	return nil
}

// coversOne reports whether a subject matches an artifact, through the
// digest index.
func (o *VerifyOptions) coversOne(subjects []map[string]string) bool {
	for _, s := range subjects {
		for _, d := range s {
			for _, i := range o.artIndex[d] {
				if o.Artifacts[i].matches(s) {
					return true
				}
			}
		}
	}
	return false
}

// coveredArtifacts appends to dst the indexes of the artifacts subjects
// cover (each once).
func (o *VerifyOptions) coveredArtifacts(subjects []map[string]string, dst []int) []int {
	for _, s := range subjects {
		for _, d := range s {
			for _, i := range o.artIndex[d] {
				if !slices.Contains(dst, i) && o.Artifacts[i].matches(s) {
					dst = append(dst, i)
				}
			}
		}
	}
	return dst
}

// artifactSHA256s lists the artifacts' sha256 digests.
func (o *VerifyOptions) artifactSHA256s() []string {
	out := make([]string, 0, len(o.Artifacts))
	for _, a := range o.Artifacts {
		out = append(out, a.SHA256)
	}
	return out
}

// ParseDigest parses "sha256:<hex>".
func ParseDigest(s string) (string, error) {
	hexd, ok := strings.CutPrefix(s, "sha256:")
	hexd = strings.ToLower(hexd)
	if !ok || !isSHA256Hex(hexd) {
		return "", fmt.Errorf("%w: digest %q is not sha256:<64 hex digits>", ErrBadInput, s)
	}
	return hexd, nil
}
