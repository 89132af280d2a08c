package report

import (
	"math"
	"sort"
	"time"
)

func summarize(runs []RunReport, now time.Time) Summary {
	s := Summary{Runs: len(runs)}
	status, tier, verdict, rules := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	type wkey struct{ rule, expires, reason string }
	waivers := map[wkey]int{}
	days := map[string]*DayPoint{}
	for i := range runs {
		r := &runs[i]
		status[orUnknown(r.Status)]++
		tier[orUnknown(r.Tier)]++
		verdict[r.Provenance.Verdict]++
		if r.Policy.Source != "none" {
			s.PolicyDecided++
			if r.Policy.Allow {
				s.PolicyAllowed++
			}
		}
		for _, v := range r.Policy.Violations {
			rules[orUnknown(v.RuleID)]++
		}
		for _, w := range r.Policy.Waived {
			waivers[wkey{orUnknown(w.RuleID), w.Expires, w.Reason}]++
		}
		day := "unknown"
		if !r.StartedAt.IsZero() {
			day = r.StartedAt.UTC().Format(time.DateOnly)
		}
		dp := days[day]
		if dp == nil {
			dp = &DayPoint{Day: day}
			days[day] = dp
		}
		dp.Runs++
		dp.Violations += len(r.Policy.Violations)
		dp.UnpinnedModules += len(r.UnpinnedModules)
		dp.UndigestedImages += len(r.UndigestedImages)
	}
	if s.PolicyDecided > 0 {
		s.PolicyPassRate = math.Round(float64(s.PolicyAllowed)/float64(s.PolicyDecided)*1e4) / 1e4
	}
	s.ByStatus, s.ByTier, s.ByVerdict = sortedCounts(status), sortedCounts(tier), sortedCounts(verdict)
	s.ViolationsByRule = sortedCounts(rules)
	s.Waivers = []WaiverUse{}
	for k, n := range waivers {
		w := WaiverUse{RuleID: k.rule, Expires: k.expires, Reason: k.reason, Runs: n}
		if t, ok := parseDay(k.expires); ok {
			d := int(math.Floor(t.Sub(now).Hours() / 24))
			w.ExpiresInDays = &d
			w.Expired = t.Before(now)
		}
		s.Waivers = append(s.Waivers, w)
	}
	sort.Slice(s.Waivers, func(i, j int) bool {
		a, b := s.Waivers[i], s.Waivers[j]
		if a.Expires != b.Expires {
			return a.Expires < b.Expires
		}
		return a.RuleID < b.RuleID
	})
	s.Timeline = []DayPoint{}
	for _, dp := range days {
		s.Timeline = append(s.Timeline, *dp)
	}
	sort.Slice(s.Timeline, func(i, j int) bool { return s.Timeline[i].Day < s.Timeline[j].Day })
	return s
}

// parseDay accepts RFC 3339 timestamps and YYYY-MM-DD dates (end of day
// is not assumed: a waiver expiring 2026-01-01 is expired on that day).
func parseDay(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}
