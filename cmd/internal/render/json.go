package render

import (
	"encoding/json"
	"io"

	"github.com/pinline/pinline/policy"
)

// JSONSchemaVersion is the version of the JSON output (docs/check-json.md).
const JSONSchemaVersion = 1

type jsonReport struct {
	SchemaVersion int           `json:"schemaVersion"`
	Tool          jsonTool      `json:"tool"`
	Allow         bool          `json:"allow"`
	Failed        bool          `json:"failed"`
	Summary       jsonSummary   `json:"summary"`
	InputDigest   string        `json:"inputDigest"`
	BundleDigest  string        `json:"bundleDigest"`
	Findings      []jsonFinding `json:"findings"`
	Waived        []jsonWaived  `json:"waived"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonSummary struct {
	Violations int `json:"violations"`
	Warnings   int `json:"warnings"`
	Waived     int `json:"waived"`
}

type jsonFinding struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Help     string `json:"help"`
	HelpURI  string `json:"helpUri"`
	Source   string `json:"source"`
}

type jsonWaived struct {
	jsonFinding
	Reason     string `json:"reason"`
	Expires    string `json:"expires"`
	WaiverFile string `json:"waiverFile"`
	WaiverLine int    `json:"waiverLine"`
}

func toJSONFinding(f policy.Finding) jsonFinding {
	return jsonFinding{RuleID: f.RuleID, Severity: f.Severity, Message: f.Message, File: f.Pos.File,
		Line: f.Pos.Line, Column: f.Pos.Column, Help: f.Help, HelpURI: f.HelpURI, Source: f.Source}
}

// JSON writes the stable JSON report described in docs/check-json.md.
func JSON(w io.Writer, r Report) error {
	d := r.Decision
	out := jsonReport{
		SchemaVersion: JSONSchemaVersion, Tool: jsonTool{Name: "pinline", Version: r.ToolVersion},
		Allow: d.Allow, Failed: r.Failed(),
		Summary:     jsonSummary{Violations: len(d.Violations), Warnings: len(d.Warnings), Waived: len(d.Waived)},
		InputDigest: d.InputDigest, BundleDigest: d.BundleDigest,
		Findings: []jsonFinding{}, Waived: []jsonWaived{},
	}
	for _, f := range all(d) {
		out.Findings = append(out.Findings, toJSONFinding(f))
	}
	for _, wf := range d.Waived {
		out.Waived = append(out.Waived, jsonWaived{jsonFinding: toJSONFinding(wf.Finding), Reason: wf.Waiver.Reason,
			Expires: wf.Waiver.Expires, WaiverFile: wf.Waiver.Pos.File, WaiverLine: wf.Waiver.Pos.Line})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
