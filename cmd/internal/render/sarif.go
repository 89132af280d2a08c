package render

import (
	"crypto/sha1"
	"fmt"
	"io"
	"sort"

	"github.com/owenrumney/go-sarif/v2/sarif"
	"github.com/pinline/pinline/policy"
)

// SARIF writes a SARIF 2.1.0 log: one run, the rule catalog (plus any user
// rule ids) with help text and help URI, one result per finding with
// region.startLine/startColumn, and waived findings as suppressed results.
func SARIF(w io.Writer, r Report) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	driver := sarif.NewVersionedDriver("pinline", r.ToolVersion).WithInformationURI("docs/policies.md")
	run := sarif.NewRun(*sarif.NewTool(driver))
	known := map[string]bool{}
	for _, rule := range r.Rules {
		known[rule.ID] = true
		run.AddRule(rule.ID).
			WithName(rule.ID).
			WithShortDescription(sarif.NewMultiformatMessageString(rule.Title)).
			WithHelp(sarif.NewMultiformatMessageString(rule.Help)).
			WithHelpURI(rule.HelpURI).
			WithDefaultConfiguration(&sarif.ReportingConfiguration{Level: level(rule.Severity)})
	}
	d := r.Decision
	findings := all(d)
	extra := append([]policy.Finding(nil), findings...)
	for _, wf := range d.Waived {
		extra = append(extra, wf.Finding)
	}
	sort.SliceStable(extra, func(i, j int) bool { return extra[i].RuleID < extra[j].RuleID })
	for _, f := range extra {
		if known[f.RuleID] {
			continue
		}
		known[f.RuleID] = true
		rule := run.AddRule(f.RuleID).WithName(f.RuleID).
			WithShortDescription(sarif.NewMultiformatMessageString("user policy " + f.Source))
		if f.Help != "" {
			rule.WithHelp(sarif.NewMultiformatMessageString(f.Help))
		}
		if f.HelpURI != "" {
			rule.WithHelpURI(f.HelpURI)
		}
	}
	for _, f := range findings {
		run.AddResult(result(f))
	}
	for _, wf := range d.Waived {
		res := result(wf.Finding)
		// go-sarif writes "location" and "guid" even when unset, as null,
		// which the SARIF schema rejects: both are always set here.
		sup := sarif.NewSuppression("external").WithStatus("accepted").
			WithJustifcation(wf.Waiver.Reason).WithGuid(suppressionGUID(wf))
		if len(res.Locations) > 0 {
			sup.WithLocation(res.Locations[0])
		} else {
			sup.WithLocation(sarif.NewLocation())
		}
		res.AddSuppression(sup)
		run.AddResult(res)
	}
	log.AddRun(run)
	return log.PrettyWrite(w)
}

func level(sev string) string {
	if sev == policy.SeverityDeny {
		return "error"
	}
	return "warning"
}

// result builds the result of one finding. It is added to the run once, by
// the caller (sarif.Run.CreateResultForRule would add it a second time).
func result(f policy.Finding) *sarif.Result {
	res := sarif.NewRuleResult(f.RuleID).
		WithLevel(level(f.Severity)).
		WithMessage(sarif.NewTextMessage(f.Message))
	if f.Pos.File != "" {
		pl := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(f.Pos.File))
		if f.Pos.Line > 0 {
			reg := sarif.NewRegion().WithStartLine(f.Pos.Line)
			if f.Pos.Column > 0 {
				reg.WithStartColumn(f.Pos.Column)
			}
			pl.WithRegion(reg)
		}
		res.AddLocation(sarif.NewLocationWithPhysicalLocation(pl))
	}
	return res
}

// suppressionGUID is a stable name-based (version 5 layout) UUID for a
// waived finding: the same waiver of the same finding keeps its id across
// runs, as SARIF's baseline matching expects.
func suppressionGUID(wf policy.WaivedFinding) string {
	f := wf.Finding
	h := sha1.Sum(fmt.Appendf(nil, "%s\x00%s:%d:%d\x00%s\x00%s", f.RuleID, f.Pos.File, f.Pos.Line, f.Pos.Column, f.Message, wf.Waiver.Reason))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
