package attest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pinline/pinline/internal/sigstoretest"
)

// fastSeeds are real attestations (pinline's envelope and bundle, the
// cosign CLI's from the fuzz corpus) and variants the fast path must
// leave to the slow parsers.
func fastSeeds(t testing.TB) map[string][]byte {
	t.Helper()
	k := newTestKey(t, "fast")
	env, bundle := signedProvenance(t, k, sampleDescription(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	seeds := map[string][]byte{"pinline-envelope": env, "pinline-bundle": bundle, "jsonl": []byte(string(env) + "\n" + string(bundle) + "\n")}
	// Keyless bundles: the fast path hands them to ParseBundle whole.
	ss := sigstoretest.New(t)
	gh := sigstoretest.GitHubWorkflow(testRepo, testWorkflow, testRef)
	st := keylessStatement(t, gh.SAN)
	seeds["keyless-v0.3"] = ss.SignDSSE(gh, st, sigstoretest.Options{TSA: true})
	seeds["keyless-v0.1"] = ss.SignDSSE(gh, st, sigstoretest.Options{Version: "v0.1", NoProof: true})
	seeds["keyless-slsa-v0.2"] = ss.SignDSSE(gh, sigstoretest.ProvenanceV02(t, "app", sha("app"), gh.SAN, testRepo, testRef), sigstoretest.Options{})
	seeds["keyless-blob"] = ss.SignBlob(gh, []byte("app"), sigstoretest.Options{})
	seeds["keyless-jsonl"] = []byte(string(seeds["keyless-v0.3"]) + "\n" + string(env) + "\n")
	for _, f := range []string{"FuzzParseBundle/cosign-cs.sigstore", "FuzzParseBundle/cosign-cs.intoto"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", f))
		if err != nil {
			t.Fatal(err)
		}
		_, q, _ := strings.Cut(strings.TrimSpace(string(raw)), "[]byte(")
		s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		seeds[filepath.Base(f)] = []byte(s)
	}
	return seeds
}

// fastRefusals are variants of a valid value that only the slow parsers
// may decide (they accept some and reject others).
var fastRefusals = []struct{ old, new string }{
	{`"payloadType"`, `"PayloadType"`},                 // encoding/json folds case
	{`"payloadType"`, `"payload\u0054ype"`},            // escaped member name
	{`"signatures"`, `"signatures":null,"signatures"`}, // duplicate member
	{`"sig":"`, `"foo":1,"sig":"`},                     // unknown member
	{`v0.3+json`, `v0.2+json`},                         // other bundle version
	{`"publicKey"`, `"certificate"`},                   // other verification material
	{`=="`, `"`},                                       // unpadded base64
	{`"}`, `"} x`},                                     // trailing data
}

func TestFastPathTakenAndEqual(t *testing.T) {
	t.Parallel()
	for name, data := range fastSeeds(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, ok := fastAttestations(name, data); !ok {
				t.Fatal("fast path refused a common attestation")
			}
			checkFastAttestations(t, data)
			atts, err := ParseAttestations(name, data)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range atts {
				if a.Envelope == nil {
					continue // a blob signature
				}
				if _, ok := fastStatement(a.Envelope.Payload); !ok {
					t.Fatal("fast path refused a common statement")
				}
				checkFastStatement(t, a.Envelope.Payload)
			}
			for _, r := range fastRefusals {
				mod := []byte(strings.Replace(string(data), r.old, r.new, 1))
				if bytes.Equal(mod, data) {
					continue
				}
				if ownDecode(mod) {
					t.Errorf("fast path took %s → %s", r.old, r.new)
				}
				checkFastAttestations(t, mod)
			}
		})
	}
}

// ownDecode reports whether the fast path's own decoder (not otherBundle,
// which hands bundles to ParseBundle whole) takes every value of data.
func ownDecode(data []byte) bool {
	s := jsonScan{b: data}
	n := 0
	for s.peek() != 0 {
		if _, ok := s.attestation(); !ok {
			return false
		}
		n++
	}
	return n > 0
}

func TestFastStatementRefusals(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"_TYPE":"https://in-toto.io/Statement/v1"}`,
		`{"_type":"a","_type":"b"}`,
		`{"_type":null}`,
		`{"_type":"\u0061"}`,
		`{"subject":[{"digest":{"sha256":"a","sha256":"b"}}]}`,
		`{"subject":[{"digest":{"sha256":1}}]}`,
		`{"subject":[null]}`,
		`{"predicate":{"runDetails":{"builder":{"id":7}}}}`,
		`{"predicate":[]}`,
		`{"x":[1,2,{"y":01}]}`,
		`{"x":"\x"}`,
		`{} {}`,
		"{}\x00",
		`[]`,
	} {
		if _, ok := fastStatement([]byte(in)); ok {
			t.Errorf("fast path took %s", in)
		}
		checkFastStatement(t, []byte(in))
	}
}

// checkFastAttestations: whenever the fast path accepts, the slow parsers
// accept too and return the same attestations.
func checkFastAttestations(t *testing.T, data []byte) {
	t.Helper()
	fast, ok := fastAttestations("f", data)
	if !ok {
		return
	}
	slow, err := parseAttestationsSlow("f", data)
	if err != nil {
		t.Fatalf("fast path accepted what the slow path rejects (%v):\n%q", err, data)
	}
	if diff := cmp.Diff(slow, fast, cmp.Comparer(bytes.Equal), cmpopts.IgnoreUnexported(BundleInfo{})); diff != "" {
		t.Fatalf("fast and slow parsers differ (-slow +fast):\n%s", diff)
	}
}

func checkFastStatement(t *testing.T, payload []byte) {
	t.Helper()
	fast, ok := fastStatement(payload)
	if !ok {
		return
	}
	slow, err := parseStatementSlow(payload)
	if err == nil {
		err = slow.predicateErr
	}
	if err != nil {
		t.Fatalf("fast path accepted a statement the slow path rejects (%v):\n%q", err, payload)
	}
	type subj struct {
		Name   string
		Digest map[string]string
	}
	view := func(st *statementDoc) []any {
		var subs []subj
		for _, s := range st.Subject {
			kept := map[string]string{}
			for _, alg := range DigestAlgorithms {
				if d, ok := s.Digest[alg]; ok {
					kept[alg] = d
				}
			}
			subs = append(subs, subj{s.Name, kept})
		}
		return []any{st.Type, st.PredicateType, subs, st.Predicate}
	}
	if diff := cmp.Diff(view(slow), view(fast)); diff != "" {
		t.Fatalf("fast and slow statement parsers differ (-slow +fast):\n%s", diff)
	}
}

func FuzzFastAttestations(f *testing.F) {
	for _, s := range fastSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFastAttestations(t, data) })
}

func FuzzFastStatement(f *testing.F) {
	for _, s := range fastSeeds(f) {
		if atts, err := ParseAttestations("seed", s); err == nil && atts[0].Envelope != nil {
			f.Add(atts[0].Envelope.Payload)
		}
	}
	f.Add([]byte(`{"_type":"x","subject":[{"name":"n","digest":{"sha256":"ab","x":"\u00e9"}}],"predicate":{"a":[1.5e3,-0,true,false,null,{"b":"c"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkFastStatement(t, data) })
}
