package policy

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/pinline/pinline/internal/finding"
)

// Severities.
const (
	SeverityDeny = "deny"
	SeverityWarn = "warn"
)

// RuleExpiredWaiver is the id of the finding an expired waiver raises.
const RuleExpiredWaiver = "PL014"

// Finding is one result of a rule; record.Finding is the same type
// (decision.json holds policy's findings as they are).
type Finding = finding.Finding

// WaivedFinding is a finding a waiver suppressed.
type WaivedFinding struct {
	Finding
	Waiver Waiver `json:"waiver"`
}

// Decision is the gate's answer. Allow is true only when the policy was
// evaluated and produced no violation.
type Decision struct {
	Allow        bool            `json:"allow"`
	Violations   []Finding       `json:"violations"`
	Warnings     []Finding       `json:"warnings"`
	Waived       []WaivedFinding `json:"waived"`
	InputDigest  string          `json:"inputDigest"`
	BundleDigest string          `json:"bundleDigest"`
}

// EvalOptions configure one evaluation.
type EvalOptions struct {
	// Waivers from the policy data; nil for none.
	Waivers []Waiver
	// Now decides which waivers have expired.
	Now time.Time
	// Notices are findings pinline itself raises (for example PL020);
	// they are reported like rule findings and no waiver applies.
	Notices []Finding
}

// Evaluate runs the prepared query on in and applies waivers. An
// evaluation error is an *EvalError and an undefined decision is
// ErrUndefined: neither is ever an allow.
func (e *Engine) Evaluate(ctx context.Context, in *Input, opts EvalOptions) (*Decision, error) {
	// The digest (a JSON encoding) is computed while OPA evaluates.
	type digested struct {
		digest string
		err    error
	}
	dch := make(chan digested, 1)
	go func() {
		d, _, err := InputDigest(in)
		dch <- digested{d, err}
	}()
	deny, warn, userT, err := e.evalQueries(ctx, in.Value())
	dg := <-dch
	if err != nil {
		return nil, err
	}
	if dg.err != nil {
		return nil, dg.err
	}
	digest := dg.digest
	var all []Finding
	for _, sev := range []struct {
		name string
		t    *ast.Term
	}{{SeverityDeny, deny}, {SeverityWarn, warn}} {
		set, ok := termValue(sev.t).(ast.Set)
		if !ok {
			return nil, fmt.Errorf("%w: data.pinline.gate.decision.%s is not a set", ErrUndefined, sev.name)
		}
		set.Foreach(func(f *ast.Term) { all = append(all, e.defaultFinding(sev.name, f)) })
	}
	if e.withUser {
		if userT == nil {
			return nil, ErrUndefined
		}
		v, err := ast.JSON(userT.Value)
		if err != nil {
			return nil, &EvalError{Err: err}
		}
		user, ok := v.(map[string]any)
		if !ok {
			return nil, ErrUndefined
		}
		all = append(all, userFindings(UserPackage, user)...)
	}
	d := &Decision{InputDigest: digest, BundleDigest: e.bundleDigest,
		Violations: []Finding{}, Warnings: []Finding{}, Waived: []WaivedFinding{}}
	e.applyWaivers(d, all, opts)
	for _, f := range opts.Notices {
		if r, ok := e.catalog[f.RuleID]; ok {
			f.Help, f.HelpURI = r.Help, r.HelpURI
		}
		if f.Severity == SeverityDeny {
			d.Violations = append(d.Violations, f)
		} else {
			d.Warnings = append(d.Warnings, f)
		}
	}
	SortFindings(d.Violations)
	SortFindings(d.Warnings)
	sort.SliceStable(d.Waived, func(i, j int) bool { return findingLess(d.Waived[i].Finding, d.Waived[j].Finding) })
	d.Allow = len(d.Violations) == 0
	return d, nil
}

func (e *Engine) defaultFinding(sev string, t *ast.Term) Finding {
	f := Finding{Severity: sev, Source: "default"}
	if obj, ok := t.Value.(ast.Object); ok {
		f.RuleID = termString(obj.Get(ast.InternedTerm("id")))
		f.Message = termString(obj.Get(ast.InternedTerm("msg")))
		f.Ref = termString(obj.Get(ast.InternedTerm("ref")))
		if p, ok := termObject(obj.Get(ast.InternedTerm("pos"))); ok {
			f.Pos = Pos{File: termString(p.Get(ast.InternedTerm("file"))),
				Line: termInt(p.Get(ast.InternedTerm("line"))), Column: termInt(p.Get(ast.InternedTerm("column")))}
		}
	}
	if r, ok := e.catalog[f.RuleID]; ok {
		f.Help, f.HelpURI = r.Help, r.HelpURI
	}
	if f.RuleID == "" {
		f.RuleID, f.Message = "PL000", fmt.Sprintf("malformed finding from the default policy: %v", t)
	}
	return f
}

func termValue(v any) ast.Value {
	switch t := v.(type) {
	case *ast.Term:
		if t != nil {
			return t.Value
		}
	case ast.Value:
		return t
	}
	return nil
}

func termObject(v any) (ast.Object, bool) {
	o, ok := termValue(v).(ast.Object)
	return o, ok
}

func termString(t *ast.Term) string {
	if t == nil {
		return ""
	}
	s, _ := t.Value.(ast.String)
	return string(s)
}

func termInt(t *ast.Term) int {
	if t == nil {
		return 0
	}
	n, ok := t.Value.(ast.Number)
	if !ok {
		return 0
	}
	i, _ := n.Int()
	return i
}

func (e *Engine) applyWaivers(d *Decision, all []Finding, opts EvalOptions) {
	var active []Waiver
	for _, w := range opts.Waivers {
		if w.Expired(opts.Now) {
			f := Finding{RuleID: RuleExpiredWaiver, Severity: SeverityDeny, Source: "default", Pos: w.Pos,
				Message: fmt.Sprintf("waiver for %s (%s) expired on %s", w.Rule, w.target(), w.Expires)}
			if r, ok := e.catalog[RuleExpiredWaiver]; ok {
				f.Help, f.HelpURI = r.Help, r.HelpURI
			}
			d.Violations = append(d.Violations, f)
			continue
		}
		active = append(active, w)
	}
	for _, f := range all {
		if w, ok := waiverFor(active, f); ok && !e.catalog[f.RuleID].NonWaivable {
			d.Waived = append(d.Waived, WaivedFinding{Finding: f, Waiver: w})
			continue
		}
		if f.Severity == SeverityDeny {
			d.Violations = append(d.Violations, f)
		} else {
			d.Warnings = append(d.Warnings, f)
		}
	}
}

func waiverFor(ws []Waiver, f Finding) (Waiver, bool) {
	for _, w := range ws {
		if w.Rule == f.RuleID && w.matches(f) {
			return w, true
		}
	}
	return Waiver{}, false
}

// matches compares structured fields only: the rule id (by the caller),
// the file by segment glob, and the reference exactly. The message text
// never decides.
func (w Waiver) matches(f Finding) bool {
	if w.Path == "" && w.Ref == "" {
		return false
	}
	if w.Ref != "" && w.Ref != f.Ref {
		return false
	}
	return w.Path == "" || pathMatches(w.Path, f.Pos.File)
}

func (w Waiver) target() string {
	switch {
	case w.Path != "" && w.Ref != "":
		return fmt.Sprintf("path %q, ref %q", w.Path, w.Ref)
	case w.Path != "":
		return fmt.Sprintf("path %q", w.Path)
	}
	return fmt.Sprintf("ref %q", w.Ref)
}

// CheckWaivers rejects waivers of rules the catalog marks not waivable
// (a *ParseError at the waiver: exit 2).
func (e *Engine) CheckWaivers(ws []Waiver) error {
	for i, w := range ws {
		if r, ok := e.catalog[w.Rule]; ok && r.NonWaivable {
			return &ParseError{File: w.Pos.File, Line: w.Pos.Line, Column: w.Pos.Column,
				Msg: fmt.Sprintf("waiver %d: rule %s (%s) is not waivable", i+1, w.Rule, r.Title)}
		}
	}
	return nil
}

// SortFindings orders findings by file, line, column, rule and message:
// the order of a Decision's lists.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool { return findingLess(fs[i], fs[j]) })
}

func findingLess(a, b Finding) bool {
	if a.Pos.File != b.Pos.File {
		return a.Pos.File < b.Pos.File
	}
	if a.Pos.Line != b.Pos.Line {
		return a.Pos.Line < b.Pos.Line
	}
	if a.Pos.Column != b.Pos.Column {
		return a.Pos.Column < b.Pos.Column
	}
	if a.RuleID != b.RuleID {
		return a.RuleID < b.RuleID
	}
	return a.Message < b.Message
}
