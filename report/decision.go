package report

import (
	"encoding/json"
	"fmt"
)

// decisionFile is the subset of decision.json the report reads. Unknown
// fields are ignored; see docs/report.md "decision.json fields read".
type decisionFile struct {
	Allow        *bool     `json:"allow"`
	Violations   []Finding `json:"violations"`
	Warnings     []Finding `json:"warnings"`
	Waived       []Finding `json:"waived"`
	InputSHA256  string    `json:"inputSha256"`
	BundleSHA256 string    `json:"bundleSha256"`
}

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
