package attest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/policy"
)

// verifyData parses and verifies one attestation file's bytes.
func verifyData(data []byte, o VerifyOptions) (*Report, error) {
	atts, err := ParseAttestations("att.json", data)
	if err != nil {
		return nil, err
	}
	return Verify(context.Background(), &o, atts)
}

// editJSON applies f to the JSON object in data.
func editJSON(t *testing.T, data []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// editPayload decodes the envelope's statement, applies f and re-encodes it
// (without re-signing).
func editPayload(t *testing.T, env []byte, f func(st map[string]any)) []byte {
	return editJSON(t, env, func(m map[string]any) {
		raw, _ := base64.StdEncoding.DecodeString(m["payload"].(string))
		var st map[string]any
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatal(err)
		}
		f(st)
		b, _ := json.Marshal(st)
		m["payload"] = base64.StdEncoding.EncodeToString(b)
	})
}

func signPayload(t *testing.T, k Signer, st map[string]any) []byte {
	t.Helper()
	b, _ := json.Marshal(st)
	env, _, err := SignStatement(context.Background(), b, k)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func statementMap(t *testing.T, env []byte) map[string]any {
	var st map[string]any
	if err := json.Unmarshal([]byte(statementJSON(t, env)), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func writePolicy(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deploy.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestVerifyRejections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	trusted := newTestKey(t, "trusted.pub")
	other := newTestKey(t, "other.pub")
	desc := sampleDescription(time.Now())
	env, bundle := signedProvenance(t, trusted, desc)
	art := []Artifact{{Name: "dist/app", SHA256: desc.Subjects[0].SHA256}}
	base := VerifyOptions{Verifiers: []Verifier{trusted.verifier}, Artifacts: art}
	with := func(f func(o *VerifyOptions)) VerifyOptions { o := base; f(&o); return o }
	st := statementMap(t, env)
	clone := func() map[string]any { return statementMap(t, env) }
	_ = st

	mustPolicy := func(src string) DeployPolicy {
		p, err := policy.LoadDeploy(ctx, writePolicy(t, src), policy.DeployOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	denyPolicy := mustPolicy("package pinline.deploy\ndeny contains \"tier must be release\" if input.verification.tier != \"release\"\n")
	undefinedPolicy := mustPolicy("package pinline.other\ndeny contains \"x\" if false\n")
	// A deny rule whose builtin errors (the tier is not a date) must fail
	// verification, not leave the deny undefined and pass.
	builtinErrPolicy := mustPolicy("package pinline.deploy\ndeny contains \"too old\" if time.parse_rfc3339_ns(input.verification.tier) < 0\n")

	tests := []struct {
		name  string
		data  []byte
		opts  VerifyOptions
		want  []error // all must match errors.Is
		class error
	}{
		{"payload changed", editPayload(t, env, func(st map[string]any) {
			st["predicate"].(map[string]any)["runDetails"].(map[string]any)["builder"].(map[string]any)["id"] = "https://evil.test"
		}), base, []error{ErrSignatureMismatch}, ErrVerificationFailed},
		{"subject digest changed", editPayload(t, env, func(st map[string]any) {
			st["subject"].([]any)[0].(map[string]any)["digest"].(map[string]any)["sha256"] = sha("evil")
		}), with(func(o *VerifyOptions) { o.Artifacts = []Artifact{{Name: "evil", SHA256: sha("evil")}} }), []error{ErrSignatureMismatch}, ErrVerificationFailed},
		{"payload type changed", editJSON(t, env, func(m map[string]any) { m["payloadType"] = "application/json" }), base, []error{ErrSignatureMismatch}, ErrVerificationFailed},
		{"wrong key", env, with(func(o *VerifyOptions) { o.Verifiers = []Verifier{other.verifier} }), []error{ErrSignatureMismatch}, ErrVerificationFailed},
		{"signature removed", editJSON(t, env, func(m map[string]any) { m["signatures"] = []any{} }), base, []error{ErrNoSignatures}, ErrVerificationFailed},
		{"signature bytes corrupted", editJSON(t, env, func(m map[string]any) {
			s := m["signatures"].([]any)[0].(map[string]any)
			raw, _ := base64.StdEncoding.DecodeString(s["sig"].(string))
			raw[len(raw)-3] ^= 0x40
			s["sig"] = base64.StdEncoding.EncodeToString(raw)
		}), base, []error{ErrSignatureMismatch}, ErrVerificationFailed},
		{"invalid base64 payload", editJSON(t, env, func(m map[string]any) { m["payload"] = "!!!" + m["payload"].(string) }), base, []error{ErrInvalidBase64}, ErrBadInput},
		{"invalid base64 signature", editJSON(t, env, func(m map[string]any) {
			m["signatures"].([]any)[0].(map[string]any)["sig"] = "a*b"
		}), base, []error{ErrInvalidBase64}, ErrBadInput},
		{"extra trailing data", append(append([]byte{}, env...), []byte("\ngarbage")...), base, []error{ErrTrailingData}, ErrBadInput},
		{"stray closing brace", append(append([]byte{}, env...), '}'), base, []error{ErrTrailingData}, ErrBadInput},
		{"unknown envelope field", editJSON(t, env, func(m map[string]any) { m["extra"] = 1 }), base, []error{ErrMalformedEnvelope}, ErrBadInput},
		{"wrong statement type", signPayload(t, trusted, func() map[string]any { s := clone(); s["_type"] = "https://in-toto.io/Statement/v2"; return s }()), base, []error{ErrStatementType}, ErrVerificationFailed},
		{"wrong predicate type", signPayload(t, trusted, func() map[string]any { s := clone(); s["predicateType"] = PredicateCycloneDX; return s }()), base, []error{ErrPredicateType}, ErrVerificationFailed},
		{"artifact not among subjects", env, with(func(o *VerifyOptions) { o.Artifacts = []Artifact{{Name: "other", SHA256: sha("other")}} }), []error{ErrSubjectMismatch}, ErrVerificationFailed},
		{"one of two artifacts missing", env, with(func(o *VerifyOptions) { o.Artifacts = append(art, Artifact{Name: "other", SHA256: sha("other")}) }), []error{ErrSubjectMismatch}, ErrVerificationFailed},
		{"empty subjects", signPayload(t, trusted, func() map[string]any { s := clone(); s["subject"] = []any{}; return s }()), base, []error{ErrNoSubjects}, ErrVerificationFailed},
		{"second untrusted signature only", signPayload(t, other, clone()), base, []error{ErrSignatureMismatch}, ErrVerificationFailed},
		{"builder id mismatch", env, with(func(o *VerifyOptions) { o.BuilderID = "https://pinline.dev/builders/untrusted" }), []error{ErrBuilderID}, ErrVerificationFailed},
		{"source mismatch", env, with(func(o *VerifyOptions) { o.SourceURI = "git+https://example.test/acme/fork" }), []error{ErrSourceURI}, ErrVerificationFailed},
		{"tier mismatch", env, with(func(o *VerifyOptions) { o.Tier = "untrusted" }), []error{ErrTier}, ErrVerificationFailed},
		{"rego deny", env, with(func(o *VerifyOptions) { o.Policy = denyPolicy }), []error{ErrPolicyDenied}, ErrVerificationFailed},
		{"rego undefined", env, with(func(o *VerifyOptions) { o.Policy = undefinedPolicy }), []error{ErrPolicyUndefined}, ErrVerificationFailed},
		{"rego builtin error", env, with(func(o *VerifyOptions) { o.Policy = builtinErrPolicy }), []error{ErrPolicyEval}, ErrVerificationFailed},
		{"bundle payload changed", editJSON(t, bundle, func(m map[string]any) {
			d := m["dsseEnvelope"].(map[string]any)
			raw, _ := base64.StdEncoding.DecodeString(d["payload"].(string))
			d["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), "trusted", "trustee", 1)))
		}), base, []error{ErrSignatureMismatch}, ErrVerificationFailed},
		{"bundle signature removed", editJSON(t, bundle, func(m map[string]any) { delete(m["dsseEnvelope"].(map[string]any), "signatures") }), base, []error{ErrNoSignatures}, ErrVerificationFailed},
		{"bundle unknown media type", editJSON(t, bundle, func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.9+json" }), base, []error{ErrMalformedBundle}, ErrBadInput},
		{"bundle with trailing data", append(append([]byte{}, bundle...), '}'), base, []error{ErrTrailingData}, ErrBadInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := verifyData(tc.data, tc.opts)
			if err == nil {
				t.Fatalf("verified, want %v", tc.want)
			}
			for _, w := range append(tc.want, tc.class) {
				if !errors.Is(err, w) {
					t.Errorf("err = %v\nwant errors.Is(%v)", err, w)
				}
			}
			if rep != nil && rep.Verified {
				t.Error("report says verified")
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	trusted := newTestKey(t, "trusted.pub")
	other := newTestKey(t, "other.pub")
	desc := sampleDescription(time.Now())
	env, bundle := signedProvenance(t, trusted, desc)
	allow, err := policy.LoadDeploy(ctx, writePolicy(t, "package pinline.deploy\ndeny contains msg if { input.verification.tier != \"trusted\"; msg := \"no\" }\n"), policy.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := []Artifact{{Name: "a", SHA256: desc.Subjects[0].SHA256}, {Name: "b", SHA256: desc.Subjects[1].SHA256}}
	o := VerifyOptions{Verifiers: []Verifier{other.verifier, trusted.verifier}, Artifacts: all,
		BuilderID: desc.BuilderID, SourceURI: desc.External.SourceURI, Tier: "trusted", Policy: allow}
	// an extra untrusted signature next to the trusted one is fine.
	extra := signPayload(t, other, statementMap(t, env))
	twoSigs := editJSON(t, env, func(m map[string]any) {
		var e map[string]any
		_ = json.Unmarshal(extra, &e)
		m["signatures"] = append(e["signatures"].([]any), m["signatures"].([]any)...)
	})
	v01 := func() map[string]any { s := statementMap(t, env); s["_type"] = StatementTypeV01; return s }()
	for name, data := range map[string][]byte{
		"envelope":        env,
		"bundle":          bundle,
		"json lines":      []byte(string(env) + "\n" + string(bundle) + "\n"),
		"extra untrusted": twoSigs,
		"statement v0.1":  signPayload(t, trusted, v01),
		"url-safe base64": editJSON(t, env, func(m map[string]any) {
			m["payload"] = base64.RawURLEncoding.EncodeToString(mustB64(m["payload"].(string)))
		}),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rep, err := verifyData(data, o)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Verified || len(rep.Artifacts) != 2 || len(rep.Artifacts[1].CoveredBy) == 0 {
				t.Fatalf("report: %+v", rep)
			}
			for _, r := range rep.Attestations {
				if r.Key != "trusted.pub" || len(r.Checks) != 9 {
					t.Errorf("result: key %q checks %+v", r.Key, r.Checks)
				}
			}
		})
	}
}

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestPolicyDenyIsTyped(t *testing.T) {
	t.Parallel()
	p, err := policy.LoadDeploy(context.Background(), writePolicy(t, "package pinline.deploy\ndeny contains \"b\" if true\ndeny contains \"a\" if true\n"), policy.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = evalPolicy(context.Background(), p, map[string]any{})
	var pe *PolicyError
	if !errors.As(err, &pe) || len(pe.Violations) != 2 || pe.Violations[0] != "a" {
		t.Fatalf("err = %#v", err)
	}
}

func TestVerifyParallelBatch(t *testing.T) {
	t.Parallel()
	k := newTestKey(t, "k.pub")
	var data []byte
	var arts []Artifact
	for i := range 40 {
		d := sampleDescription(time.Unix(int64(i), 0))
		d.Subjects = d.Subjects[:1]
		d.Subjects[0].SHA256 = sha(strconv.Itoa(i))
		env, _ := signedProvenance(t, k, d)
		data = append(append(data, env...), '\n')
		arts = append(arts, Artifact{Name: strconv.Itoa(i), SHA256: d.Subjects[0].SHA256})
	}
	atts, err := ParseAttestations("many.jsonl", data)
	if err != nil {
		t.Fatal(err)
	}
	o := &VerifyOptions{Verifiers: []Verifier{k.verifier}, Artifacts: arts, Workers: 4}
	rep, err := Verify(context.Background(), o, atts)
	if err != nil || !rep.Verified || len(rep.Attestations) != 40 {
		t.Fatalf("err %v, report %+v", err, rep)
	}
	for i, r := range rep.Attestations {
		if r.Index != i || r.Subjects[0] != arts[i].SHA256 {
			t.Fatalf("result %d out of order: %+v", i, r)
		}
	}
	// One more artifact nobody attested: the batch fails.
	o.Artifacts = append(o.Artifacts, Artifact{Name: "x", SHA256: sha("x")})
	if _, err := Verify(context.Background(), o, atts); !errors.Is(err, ErrSubjectMismatch) {
		t.Fatalf("err = %v, want ErrSubjectMismatch", err)
	}
	// One tampered attestation fails the batch.
	atts[17].Envelope.Payload = append([]byte(" "), atts[17].Envelope.Payload...)
	o.Artifacts = arts
	rep, err = Verify(context.Background(), o, atts)
	if !errors.Is(err, ErrSignatureMismatch) || rep.Verified || rep.Attestations[17].Verified {
		t.Fatalf("err = %v", err)
	}
}

func TestVerifyCancelled(t *testing.T) {
	t.Parallel()
	k := newTestKey(t, "k.pub")
	desc := sampleDescription(time.Now())
	env, _ := signedProvenance(t, k, desc)
	atts, err := ParseAttestations("a", env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Verify(ctx, &VerifyOptions{Verifiers: []Verifier{k.verifier}, Artifacts: []Artifact{{Name: "a", SHA256: desc.Subjects[0].SHA256}}}, atts)
	if !errors.Is(err, ErrOperational) || !errors.Is(err, context.Canceled) || rep.Verified {
		t.Fatalf("err = %v, verified %v", err, rep.Verified)
	}
	for _, r := range rep.Attestations {
		if r == nil {
			t.Fatal("nil result in report")
		}
	}
}

// Malformed attestation files are bad input that says where: line, column
// and byte offset, and names the member in JSON terms, not Go's.
func TestMalformedAttestationPositions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
	}{
		{"truncated", "{\"payloadType\":\n", "line 2, column 1: unexpected EOF"},
		{"syntax", "{\"payloadType\": \"x\",\n  ]", "line 2, column 3"},
		{"payload not a string", "{\"payloadType\": \"x\",\n \"payload\": 7}", `line 2, column 13: member "payload": JSON number where a string is required`},
		{"signatures not an array", "{\"payloadType\": \"x\", \"payload\": \"aGk=\",\n\"signatures\": {}}", `line 2, column 15: member "signatures": JSON object where an array is required`},
		{"payloadType not a string", "{\"payloadType\": 5, \"payload\": \"aGk=\"}", `line 1, column 17: member "payloadType": JSON number where a string is required`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, parse := range []func([]byte) error{
				func(b []byte) error { _, err := ParseAttestations("att.json", b); return err },
				func(b []byte) error { _, err := ParseEnvelope(b); return err },
			} {
				err := parse([]byte(tc.data))
				if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want bad input containing %q", err, tc.want)
				}
				if strings.Contains(fmt.Sprint(err), "Go struct") {
					t.Errorf("err names Go types: %v", err)
				}
			}
		})
	}
}
