package report

import (
	"github.com/pinline/pinline/record"
)

// Finding is a policy violation, warning or waived violation as the report
// shows it (a record.Finding flattened, with its waiver's expiry and reason).
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

func findingOf(f record.Finding) Finding {
	return Finding{RuleID: f.RuleID, Severity: f.Severity, Message: f.Message,
		File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Column}
}

func findingsOf(fs []record.Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, findingOf(f))
	}
	return out
}

func waivedOf(ws []record.WaivedFinding) []Finding {
	out := make([]Finding, 0, len(ws))
	for _, w := range ws {
		f := findingOf(w.Finding)
		f.Expires, f.Reason = w.Waiver.Expires, w.Waiver.Reason
		out = append(out, f)
	}
	return out
}

// Where is "file:line:col" or "" when unknown.
func (f Finding) Where() string {
	return record.Pos{File: f.File, Line: f.Line, Column: f.Column}.Where()
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
