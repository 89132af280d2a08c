package record

import (
	"strings"

	"github.com/pinline/pinline/internal/finding"
)

// Decision is decision.json: the gate's answer for a run, written by the
// pipeline and read by reports. Its fields and JSON shapes are those of
// `pinline check --format json` decisions (policy.Decision) plus Gates, so
// one reader serves both. See docs/run-record.md "decision.json".
type Decision struct {
	Allow      bool            `json:"allow"`
	Violations []Finding       `json:"violations"`
	Warnings   []Finding       `json:"warnings"`
	Waived     []WaivedFinding `json:"waived"`
	// InputDigest and BundleDigest are "sha256:<hex>" of the policy gate
	// ("" without one; comma-joined when several gates report one).
	InputDigest  string `json:"inputDigest"`
	BundleDigest string `json:"bundleDigest"`
	// Gates names the gates that contributed ("builtin", "policy").
	Gates []string `json:"gates"`
	// Env is the dagger.toml workspace environment overlay the gate
	// evaluated (--env; "" for the base configuration).
	Env string `json:"env,omitempty"`
}

// Finding is one violation or warning of a gate: policy.Finding, the
// shared leaf's type.
type Finding = finding.Finding

// Pos is a position in a repository file (1-based; 0 when unknown); the
// inventory's and the gate's type.
type Pos = finding.Pos

// WaivedFinding is a violation a waiver suppressed.
type WaivedFinding struct {
	Finding
	Waiver Waiver `json:"waiver"`
}

// Waiver is the waiver that applied, as the operator wrote it: a rule id
// with a path glob or an exact reference.
type Waiver struct {
	Rule    string `json:"rule"`
	Path    string `json:"path,omitempty"`
	Ref     string `json:"ref,omitempty"`
	Reason  string `json:"reason"`
	Expires string `json:"expires"`
	Pos     Pos    `json:"pos"`
}

// Ref is the run.json summary of d (counts and hex digests). Allow is false
// whenever a violation is present, whatever d.Allow says (fail closed).
func (d *Decision) Ref() DecisionRef {
	return DecisionRef{Allow: d.Allow && len(d.Violations) == 0, Violations: len(d.Violations),
		Warnings: len(d.Warnings), Waived: len(d.Waived),
		InputSHA256: trimSHA(d.InputDigest), BundleSHA256: trimSHA(d.BundleDigest), Env: d.Env}
}

// trimSHA drops the "sha256:" prefix of each digest of a comma-joined list.
func trimSHA(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimPrefix(p, "sha256:")
	}
	return strings.Join(parts, ",")
}
