package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// userFindings walks data.pinline.user and collects the deny, violation and
// warn rules of every package below it.
func userFindings(pkg string, obj map[string]any) []Finding {
	var out []Finding
	for _, k := range slices.Sorted(maps.Keys(obj)) {
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
