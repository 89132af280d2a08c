package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// decisionFile is the subset of decision.json the report reads. Unknown
// fields are ignored; see docs/report.md "decision.json fields read".
type decisionFile struct {
	Allow      *bool     `json:"allow"`
	Violations []Finding `json:"violations"`
	Warnings   []Finding `json:"warnings"`
	// Waived is a list of findings (policy.Decision) or a count
	// (pipeline.Decision).
	Waived       json.RawMessage `json:"waived"`
	InputSHA256  string          `json:"inputSha256"`
	BundleSHA256 string          `json:"bundleSha256"`
	InputDigest  string          `json:"inputDigest"`
	BundleDigest string          `json:"bundleDigest"`
}

// waived decodes the waived field: a list of findings, a count, or null.
func (d *decisionFile) waived() ([]Finding, int, error) {
	raw := bytes.TrimSpace(d.Waived)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return []Finding{}, 0, nil
	}
	if raw[0] == '[' {
		var fs []Finding
		if err := json.Unmarshal(raw, &fs); err != nil {
			return nil, 0, fmt.Errorf("waived: %w", err)
		}
		return nonNil(fs), len(fs), nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil || n < 0 {
		return nil, 0, fmt.Errorf("waived: want a list of findings or a count, got %.40s", raw)
	}
	return []Finding{}, n, nil
}

// digestHex strips a "sha256:" prefix.
func digestHex(s string) string { return strings.TrimPrefix(s, "sha256:") }

// Finding is a policy violation, warning or waived violation.
type Finding struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	// Expires and Reason are set for waived findings.
	Expires string `json:"expires,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// UnmarshalJSON accepts the policy engine's Finding and a few spellings
// seen in older decision files: rule/id for ruleId, position for pos,
// expiry/until and a nested waiver object for waivers.
func (f *Finding) UnmarshalJSON(b []byte) error {
	type pos struct {
		File   string `json:"file"`
		Line   int    `json:"line"`
		Column int    `json:"column"`
	}
	type waiver struct {
		Expires string `json:"expires"`
		Expiry  string `json:"expiry"`
		Until   string `json:"until"`
		Reason  string `json:"reason"`
	}
	var raw struct {
		RuleID   string  `json:"ruleId"`
		Rule     string  `json:"rule"`
		ID       string  `json:"id"`
		Severity string  `json:"severity"`
		Message  string  `json:"message"`
		Msg      string  `json:"msg"`
		Pos      *pos    `json:"pos"`
		Position *pos    `json:"position"`
		File     string  `json:"file"`
		Line     int     `json:"line"`
		Column   int     `json:"column"`
		Expires  string  `json:"expires"`
		Expiry   string  `json:"expiry"`
		Until    string  `json:"until"`
		Reason   string  `json:"reason"`
		Waiver   *waiver `json:"waiver"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("finding: %w", err)
	}
	*f = Finding{
		RuleID:   first(raw.RuleID, raw.Rule, raw.ID),
		Severity: raw.Severity,
		Message:  first(raw.Message, raw.Msg),
		File:     raw.File, Line: raw.Line, Column: raw.Column,
		Expires: first(raw.Expires, raw.Expiry, raw.Until),
		Reason:  raw.Reason,
	}
	if p := raw.Pos; p != nil || raw.Position != nil {
		if p == nil {
			p = raw.Position
		}
		f.File, f.Line, f.Column = first(p.File, f.File), p.Line, p.Column
	}
	if w := raw.Waiver; w != nil {
		f.Expires = first(f.Expires, w.Expires, w.Expiry, w.Until)
		f.Reason = first(f.Reason, w.Reason)
	}
	return nil
}

// Where is "file:line:col" or "" when unknown.
func (f Finding) Where() string {
	switch {
	case f.File == "":
		return ""
	case f.Line == 0:
		return f.File
	case f.Column == 0:
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
