package light

import "testing"

func TestResolveTier(t *testing.T) {
	t.Parallel()
	s := &streams{env: func(k string) (string, bool) { return "ci", k == EnvTier.Name }}
	if got := (&policyOptions{}).resolveTier(s); got != "ci" {
		t.Errorf("env tier = %q", got)
	}
	if got := (&policyOptions{tier: "local"}).resolveTier(s); got != "local" {
		t.Errorf("flag tier = %q", got)
	}
	none := &streams{env: func(string) (string, bool) { return "", false }}
	if got := (&policyOptions{}).resolveTier(none); got != "local" {
		t.Errorf("default tier = %q", got)
	}
}
