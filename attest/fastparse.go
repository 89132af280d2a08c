package attest

import (
	"bytes"
	"encoding/base64"

	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
)

// The fast path parses the common shapes of attestations and statements in
// one pass with jsonScan. It is only an accelerator: it returns ok=false
// for anything unusual (escapes, non-ASCII keys, null, duplicate or unknown
// members, other bundle versions or verification material, ...) and the
// callers then run the encoding/json / protojson parsers, which decide and
// report errors. Whenever it returns ok, the result equals what those
// parsers return (fuzzed in fastparse_test.go).

// member classifies key among names: its index, -1 if it is none of them,
// -2 if it matches one only case-insensitively (encoding/json would accept
// it: leave that to encoding/json).
func member(key []byte, names []string) int {
	for i, n := range names {
		if string(key) == n {
			return i
		}
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return -2
		}
	}
	return -1
}

// plainB64 reads a plain string holding padded standard base64 (what
// pinline and cosign write): the decoding every parser here agrees on.
func (s *jsonScan) plainB64() ([]byte, bool) {
	v, ok := s.plain()
	if !ok || len(v) == 0 {
		return nil, false
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(v)))
	n, err := base64.StdEncoding.Strict().Decode(out, v)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

var (
	topMembers    = []string{"payloadType", "payload", "signatures", "mediaType", "verificationMaterial", "dsseEnvelope"}
	sigMembers    = []string{"keyid", "sig"}
	vmMembers     = []string{"publicKey"}
	hintMembers   = []string{"hint"}
	bundleMembers = []string{"payloadType", "payload", "signatures"}
)

// fastAttestations is the fast path of ParseAttestations.
func fastAttestations(name string, data []byte) ([]Attestation, bool) {
	s := jsonScan{b: data}
	var out []Attestation
	for s.peek() != 0 {
		start := s.i
		a, ok := s.attestation()
		if !ok {
			s.i = start
			if a, ok = s.otherBundle(); !ok {
				return nil, false
			}
		}
		a.Source, a.Index = name, len(out)
		out = append(out, a)
	}
	return out, s.i == len(data) && len(out) > 0
}

func (s *jsonScan) attestation() (Attestation, bool) {
	var seen [6]bool
	var env Envelope
	var hint string
	var bundled bool
	ok := s.object(func(k []byte) bool {
		m := member(k, topMembers)
		if m < 0 || seen[m] {
			return false
		}
		seen[m] = true
		switch m {
		case 0, 1, 2:
			return s.envelopeMember(m, &env)
		case 3:
			v, ok := s.plain()
			return ok && string(v) == BundleMediaType
		case 4:
			h, ok := s.publicKeyHint()
			hint = h
			return ok
		default:
			bundled = true
			return s.bundleEnvelope(&env)
		}
	})
	if !ok {
		return Attestation{}, false
	}
	if !seen[3] && !seen[4] && !seen[5] {
		// Bare DSSE envelope: payloadType and payload are required.
		if !seen[0] || !seen[1] {
			return Attestation{}, false
		}
		return Attestation{Format: FormatDSSE, Envelope: &env}, true
	}
	if !seen[3] || !seen[4] || !bundled || seen[0] || seen[1] || seen[2] {
		return Attestation{}, false
	}
	if !validBundle(&env, hint) {
		return Attestation{}, false
	}
	return Attestation{Format: FormatBundle, Envelope: &env, Bundle: &BundleInfo{MediaType: BundleMediaType, KeyHint: hint}}, true
}

var otherBundleMembers = []string{"mediaType", "verificationMaterial", "dsseEnvelope", "messageSignature"}

// otherBundle reads a bundle the fast path does not decode itself (keyless
// bundles: certificates, log entries, timestamps) and hands its text to
// ParseBundle, as the slow path would after its encoding/json probe: an
// object with only bundle members, each once, mediaType a plain string.
func (s *jsonScan) otherBundle() (Attestation, bool) {
	start := s.i
	var seen [4]bool
	ok := s.object(func(k []byte) bool {
		m := member(k, otherBundleMembers)
		if m < 0 || seen[m] {
			return false
		}
		seen[m] = true
		if m == 0 {
			_, ok := s.plain()
			return ok
		}
		return s.skip(1)
	})
	if !ok || !seen[0] {
		return Attestation{}, false
	}
	env, info, err := ParseBundle(s.b[start:s.i])
	if err != nil {
		return Attestation{}, false // the slow path reports it
	}
	return Attestation{Format: FormatBundle, Envelope: env, Bundle: info}, true
}

// envelopeMember reads payloadType (0), payload (1) or signatures (2).
func (s *jsonScan) envelopeMember(m int, env *Envelope) bool {
	var ok bool
	switch m {
	case 0:
		var v []byte
		v, ok = s.plain()
		env.PayloadType = string(v)
	case 1:
		env.Payload, ok = s.plainB64()
	default:
		ok = s.array(func() bool {
			var sig EnvelopeSignature
			var seen [2]bool
			if !s.object(func(k []byte) bool {
				m := member(k, sigMembers)
				if m < 0 || seen[m] {
					return false
				}
				seen[m] = true
				if m == 0 {
					v, ok := s.plain()
					sig.KeyID = string(v)
					return ok
				}
				var ok bool
				sig.Sig, ok = s.plainB64()
				return ok
			}) || !seen[1] {
				return false
			}
			env.Signatures = append(env.Signatures, sig)
			return true
		})
	}
	return ok
}

// publicKeyHint reads {"publicKey":{"hint":"..."}}, the only verification
// material the fast path takes.
func (s *jsonScan) publicKeyHint() (string, bool) {
	var hint []byte
	var seenVM, seenHint bool
	ok := s.object(func(k []byte) bool {
		if member(k, vmMembers) != 0 || seenVM {
			return false
		}
		seenVM = true
		return s.object(func(k []byte) bool {
			if member(k, hintMembers) != 0 || seenHint {
				return false
			}
			seenHint = true
			var ok bool
			hint, ok = s.plain()
			return ok && len(hint) > 0
		})
	})
	return string(hint), ok && seenHint
}

func (s *jsonScan) bundleEnvelope(env *Envelope) bool {
	var seen [3]bool
	return s.object(func(k []byte) bool {
		m := member(k, bundleMembers)
		if m < 0 || seen[m] {
			return false
		}
		seen[m] = true
		return s.envelopeMember(m, env)
	}) && seen[0] && seen[1] && seen[2] && len(env.Signatures) > 0
}

// validBundle runs sigstore-go's bundle validation on what was parsed, so
// the fast path accepts exactly the bundles sigstore-go accepts.
func validBundle(env *Envelope, hint string) bool {
	_, err := sgbundle.NewBundle(protoBundle(env, hint))
	return err == nil
}
