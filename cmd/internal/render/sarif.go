package render

import (
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
		run.AddResult(result(run, f))
	}
	for _, wf := range d.Waived {
		res := result(run, wf.Finding)
		res.AddSuppression(sarif.NewSuppression("external").WithJustifcation(wf.Waiver.Reason))
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

func result(run *sarif.Run, f policy.Finding) *sarif.Result {
	res := run.CreateResultForRule(f.RuleID).
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
