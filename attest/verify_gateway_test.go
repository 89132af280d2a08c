package attest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// gatewayPayload is the sample statement with its gateway block replaced
// (textually, so that spellings encoding/json folds survive).
func gatewayPayload(t *testing.T, env []byte, gateway string) []byte {
	t.Helper()
	raw := statementJSON(t, env)
	const block = `"gateway":{"address":"gateway.example.test:8443","cacheMode":"strong","identity":"spiffe:spiffe://example.test/ci/main"}`
	if !strings.Contains(raw, block) {
		t.Fatalf("sample payload has no gateway block %s:\n%s", block, raw)
	}
	return []byte(strings.Replace(raw, block, gateway, 1))
}

func TestVerifyGatewayConstraints(t *testing.T) {
	t.Parallel()
	k := newTestKey(t, "trusted.pub")
	desc := sampleDescription(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	const id, strong = "spiffe:spiffe://example.test/ci/main", "strong"
	withGW, _ := signedProvenance(t, k, desc)
	noGWDesc := desc
	noGWDesc.Internal.Gateway = nil
	noGW, _ := signedProvenance(t, k, noGWDesc)
	sign := func(payload []byte) []byte {
		env, _, err := SignStatement(context.Background(), payload, k)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	payload := func(gateway string) []byte { return gatewayPayload(t, withGW, gateway) }

	tests := []struct {
		name          string
		env           []byte
		payload       []byte // when set, signed instead of env
		identity, cm  string
		want          error // nil: verified
		gotID, gotCM  string
		detailContain string
	}{
		{name: "identity matches", env: withGW, identity: id, gotID: id, gotCM: strong},
		{name: "cache mode matches", env: withGW, cm: strong, gotID: id, gotCM: strong},
		{name: "both match", env: withGW, identity: id, cm: strong, gotID: id, gotCM: strong},
		{name: "no constraint, no gateway", env: noGW},
		{name: "identity mismatch", env: withGW, identity: "spiffe:spiffe://example.test/ci/other", want: ErrIdentity, detailContain: `got "` + id},
		{name: "identity prefix is no match", env: withGW, identity: "spiffe:spiffe://example.test/ci", want: ErrIdentity},
		{name: "cache mode mismatch", env: withGW, cm: "shared", want: ErrCacheMode, detailContain: `got "strong", want "shared"`},
		{name: "identity ok, cache mode mismatch", env: withGW, identity: id, cm: "shared", want: ErrCacheMode},
		{name: "absent gateway, identity given", env: noGW, identity: id, want: ErrIdentity, detailContain: "no internalParameters.gateway"},
		{name: "absent gateway, cache mode given", env: noGW, cm: strong, want: ErrCacheMode, detailContain: "no internalParameters.gateway"},
		{name: "null gateway (slow path)", payload: payload(`"gateway":null`), identity: id, want: ErrIdentity, detailContain: "no internalParameters.gateway"},
		{name: "empty gateway", payload: payload(`"gateway":{}`), identity: id, want: ErrIdentity, detailContain: `got ""`},
		{name: "empty identity never matches", payload: payload(`"gateway":{"identity":"","cacheMode":"strong"}`), cm: strong, identity: id, want: ErrIdentity},
		{name: "identity not a string", payload: payload(`"gateway":{"identity":7}`), identity: id, want: ErrMalformedStatement},
		{name: "folded member name (slow path)", payload: payload(`"gateway":{"IDENTITY":"x","cacheMode":"shared"}`), identity: "x", cm: "shared", gotID: "x", gotCM: "shared"},
		{name: "escaped identity (slow path)", payload: payload(`"gateway":{"identity":"\u0078","cacheMode":"shared"}`), identity: "x", gotID: "x", gotCM: "shared"},
		{name: "duplicate identity (slow path: last wins)", payload: payload(`"gateway":{"identity":"x","identity":"y"}`), identity: "x", want: ErrIdentity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := tc.env
			if tc.payload != nil {
				env = sign(tc.payload)
			}
			// Whatever the fast path accepts, it reads as the slow one.
			checkFastStatement(t, []byte(statementJSON(t, env)))
			o := VerifyOptions{Verifiers: []Verifier{k.verifier}, Artifacts: []Artifact{{Name: "dist/app", SHA256: desc.Subjects[0].SHA256}},
				Identity: tc.identity, CacheMode: tc.cm}
			rep, err := verifyData(env, o)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("not verified: %v", err)
				}
				r := rep.Attestations[0]
				if r.Identity != tc.gotID || r.CacheMode != tc.gotCM {
					t.Errorf("result identity %q cacheMode %q, want %q %q", r.Identity, r.CacheMode, tc.gotID, tc.gotCM)
				}
				for _, c := range []struct{ name, want string }{{"identity", tc.identity}, {"cacheMode", tc.cm}} {
					if c.want != "" && !hasCheck(r.Checks, c.name, true) {
						t.Errorf("no passed %s check in %+v", c.name, r.Checks)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("verified, want %v", tc.want)
			}
			for _, w := range []error{tc.want, ErrVerificationFailed} {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want errors.Is(%v)", err, w)
				}
			}
			if !strings.Contains(err.Error(), tc.detailContain) {
				t.Errorf("err = %v, want it to contain %q", err, tc.detailContain)
			}
			if rep != nil && rep.Verified {
				t.Error("report says verified")
			}
		})
	}
}

func hasCheck(cs []Check, name string, ok bool) bool {
	for _, c := range cs {
		if c.Name == name && c.OK == ok {
			return true
		}
	}
	return false
}

// statementJSON is the payload of the DSSE envelope env.
func statementJSON(t *testing.T, env []byte) string {
	t.Helper()
	e, err := ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(e.Payload)
}

// The fast statement path reads the gateway block of common provenance
// itself and equals the slow path on it.
func TestFastStatementGateway(t *testing.T) {
	t.Parallel()
	k := newTestKey(t, "fast")
	desc := sampleDescription(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	env, _ := signedProvenance(t, k, desc)
	for _, gw := range []string{
		`"gateway":{"address":"a","cacheMode":"shared","identity":"spiffe:spiffe://x/y"}`,
		`"gateway":{}`,
		`"gateway":{"identity":"i","extra":[1,{"a":null}]}`,
		`"gatewayX":{"identity":"i"}`,
	} {
		p := gatewayPayload(t, env, gw)
		st, ok := fastStatement(p)
		if !ok {
			t.Errorf("fast path refused %s", gw)
			continue
		}
		checkFastStatement(t, p)
		if strings.HasPrefix(gw, `"gateway":`) && st.Predicate.BuildDefinition.InternalParameters.Gateway == nil {
			t.Errorf("fast path lost the gateway of %s", gw)
		}
	}
	for _, gw := range []string{
		`"gateway":null`,
		`"gateway":{"identity":null}`,
		`"gateway":{"identity":7}`,
		`"gateway":{"Identity":"x"}`,
		`"gateway":{"cacheMode":"a","cacheMode":"b"}`,
		`"gateway":{"identity":"\u0078"}`,
		`"gateway":[]`,
		`"gateway":{"identity":"x"},"gateway":{"identity":"y"}`,
		`"Gateway":{"identity":"x"}`,
	} {
		p := gatewayPayload(t, env, gw)
		if _, ok := fastStatement(p); ok {
			t.Errorf("fast path took %s", gw)
		}
		checkFastStatement(t, p)
	}
	noIP := strings.Replace(statementJSON(t, env), `"internalParameters":`, `"internalParameters":null,"x":`, 1)
	if _, ok := fastStatement([]byte(noIP)); ok {
		t.Error("fast path took internalParameters null")
	}
}
