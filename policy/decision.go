package policy

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Severities.
const (
	SeverityDeny = "deny"
	SeverityWarn = "warn"
)

// RuleExpiredWaiver is the id of the finding an expired waiver raises.
const RuleExpiredWaiver = "PL014"

// Finding is one result of a rule.
type Finding struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Help     string `json:"help,omitempty"`
	HelpURI  string `json:"helpUri,omitempty"`
	Pos      Pos    `json:"pos"`
	// Source is "default" for the embedded rules, otherwise the user
	// package that produced the finding (data.pinline.user.<name>).
	Source string `json:"source"`
}

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
}

// Evaluate runs the prepared query on in and applies waivers. An
// evaluation error is an *EvalError and an undefined decision is
// ErrUndefined: neither is ever an allow.
func (e *Engine) Evaluate(ctx context.Context, in *Input, opts EvalOptions) (*Decision, error) {
	digest, raw, err := InputDigest(in)
	if err != nil {
		return nil, err
	}
	value, err := ast.ValueFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, &EvalError{Err: fmt.Errorf("convert input: %w", err)}
	}
	rs, err := e.pq.Eval(ctx, rego.EvalParsedInput(value))
	if err != nil {
		return nil, &EvalError{Err: err}
	}
	if len(rs) != 1 {
		return nil, ErrUndefined
	}
	gate, ok := rs[0].Bindings["gate"].(map[string]any)
	if !ok {
		return nil, ErrUndefined
	}
	var all []Finding
	for _, sev := range []string{SeverityDeny, SeverityWarn} {
		set, ok := gate[sev].([]any)
		if !ok {
			return nil, fmt.Errorf("%w: data.pinline.gate.decision.%s is not a set", ErrUndefined, sev)
		}
		for _, v := range set {
			all = append(all, e.defaultFinding(sev, v))
		}
	}
	if e.withUser {
		user, ok := rs[0].Bindings["user"].(map[string]any)
		if !ok {
			return nil, ErrUndefined
		}
		all = append(all, userFindings(UserPackage, user)...)
	}
	d := &Decision{InputDigest: digest, BundleDigest: e.bundleDigest,
		Violations: []Finding{}, Warnings: []Finding{}, Waived: []WaivedFinding{}}
	e.applyWaivers(d, all, opts)
	sortFindings(d.Violations)
	sortFindings(d.Warnings)
	sort.SliceStable(d.Waived, func(i, j int) bool { return findingLess(d.Waived[i].Finding, d.Waived[j].Finding) })
	d.Allow = len(d.Violations) == 0
	return d, nil
}

func (e *Engine) defaultFinding(sev string, v any) Finding {
	f := Finding{Severity: sev, Source: "default"}
	obj, _ := v.(map[string]any)
	f.RuleID, _ = obj["id"].(string)
	f.Message, _ = obj["msg"].(string)
	f.Pos = toPos(obj["pos"])
	if r, ok := e.catalog[f.RuleID]; ok {
		f.Help, f.HelpURI = r.Help, r.HelpURI
	}
	if f.RuleID == "" {
		f.RuleID, f.Message = "PL000", fmt.Sprintf("malformed finding from the default policy: %v", v)
	}
	return f
}

// userFindings walks data.pinline.user and collects the deny, violation and
// warn rules of every package below it.
func userFindings(pkg string, obj map[string]any) []Finding {
	var out []Finding
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		sev := ""
		switch k {
		case "deny", "violation":
			sev = SeverityDeny
		case "warn":
			sev = SeverityWarn
		}
		if sev == "" {
			if sub, ok := v.(map[string]any); ok {
				out = append(out, userFindings(pkg+"."+k, sub)...)
			}
			continue
		}
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		for _, it := range items {
			if f, ok := userFinding(pkg, sev, it); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

func userFinding(pkg, sev string, v any) (Finding, bool) {
	f := Finding{Severity: sev, Source: "data." + pkg, RuleID: strings.TrimPrefix(pkg, "pinline.")}
	switch x := v.(type) {
	case bool:
		if !x {
			return f, false
		}
		f.Message = "denied by data." + pkg
		if sev == SeverityWarn {
			f.Message = "warning from data." + pkg
		}
	case string:
		f.Message = x
	case map[string]any:
		f.Message = firstString(x, "msg", "message")
		if id := firstString(x, "id", "rule", "ruleId"); id != "" {
			f.RuleID = id
		}
		f.Help = firstString(x, "help")
		f.HelpURI = firstString(x, "helpUri", "helpURI")
		f.Pos = toPos(x["pos"])
		if f.Message == "" {
			f.Message = fmt.Sprintf("%v", x)
		}
	default:
		f.Message = fmt.Sprintf("%v", x)
	}
	return f, true
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

func toPos(v any) Pos {
	m, _ := v.(map[string]any)
	p := Pos{}
	p.File, _ = m["file"].(string)
	p.Line = toInt(m["line"])
	p.Column = toInt(m["column"])
	return p
}

func toInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case interface{ Int64() (int64, error) }:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
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
		if w, ok := waiverFor(active, f); ok {
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

func (w Waiver) matches(f Finding) bool {
	if w.Match != "" && !strings.Contains(f.Message, w.Match) {
		return false
	}
	return w.Path == "" || pathMatches(w.Path, f.Pos.File)
}

func pathMatches(pattern, file string) bool {
	if pattern == file {
		return true
	}
	if dir, ok := strings.CutSuffix(pattern, "**"); ok {
		return strings.HasPrefix(file, dir)
	}
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(file, pattern)
	}
	ok, _ := path.Match(pattern, file)
	return ok
}

func (w Waiver) target() string {
	switch {
	case w.Path != "" && w.Match != "":
		return fmt.Sprintf("path %q, match %q", w.Path, w.Match)
	case w.Path != "":
		return fmt.Sprintf("path %q", w.Path)
	}
	return fmt.Sprintf("match %q", w.Match)
}

func sortFindings(fs []Finding) {
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
