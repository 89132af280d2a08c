package attest

import (
	"crypto"
	"errors"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"golang.org/x/mod/semver"
	"google.golang.org/protobuf/encoding/protojson"
)

// BundleMediaType is the sigstore bundle version pinline writes.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// MarshalBundle wraps a signed envelope in a sigstore bundle v0.3 whose
// verification material is a publicKey hint (cosign's: base64 sha256 of the
// PKIX public key). No transparency log entry: pinline signs offline.
func MarshalBundle(env *Envelope, pub crypto.PublicKey) ([]byte, error) {
	return marshalBundle(env, pub, nil)
}

// marshalBundle is MarshalBundle with RFC 3161 timestamps (authority
// responses) in the verification material.
func marshalBundle(env *Envelope, pub crypto.PublicKey, timestamps [][]byte) ([]byte, error) {
	hint, err := KeyHint(pub)
	if err != nil {
		return nil, err
	}
	b := protoBundle(env, hint)
	if len(timestamps) > 0 {
		tvd := &protobundle.TimestampVerificationData{}
		for _, ts := range timestamps {
			tvd.Rfc3161Timestamps = append(tvd.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
		}
		b.VerificationMaterial.TimestampVerificationData = tvd
	}
	// Validate what we write with the same rules readers apply.
	if _, err := sgbundle.NewBundle(b); err != nil {
		return nil, fmt.Errorf("%w: bundle: %w", ErrOperational, err)
	}
	return marshalCompact(protojson.MarshalOptions{}, b)
}

// protoBundle is the bundle v0.3 of env with a publicKey hint and no
// transparency log entry.
func protoBundle(env *Envelope, hint string) *protobundle.Bundle {
	pe := &protodsse.Envelope{Payload: env.Payload, PayloadType: env.PayloadType}
	for _, s := range env.Signatures {
		pe.Signatures = append(pe.Signatures, &protodsse.Signature{Sig: s.Sig, Keyid: s.KeyID})
	}
	return &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: hint}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: pe},
	}
}

// BundleInfo is what a parsed bundle says about itself besides the envelope.
type BundleInfo struct {
	MediaType   string
	KeyHint     string // publicKey hint, if any
	Certificate bool   // verification material is a certificate (chain): keyless
	TlogEntries int    // transparency log entries (verified only on the keyless path)
	Timestamps  int    // RFC 3161 timestamps (verified only on the keyless path)
	// MessageSignature is set for a bundle signing a blob's digest (no
	// envelope: Attestation.Envelope is nil).
	MessageSignature bool
	sg               *sgbundle.Bundle // the parsed bundle, for sigstore-go verification
	entries          []*tlog.Entry    // its log entries, decoded once
}

// ParseBundle parses a sigstore bundle (v0.1 to v0.3, validated by
// sigstore-go). The envelope is nil for a message-signature bundle (a blob
// signature, info.MessageSignature).
func ParseBundle(data []byte) (*Envelope, *BundleInfo, error) {
	sg, entries, err := parseSigstoreBundle(data)
	if err != nil {
		return nil, nil, badInput(ErrMalformedBundle, "%v", err)
	}
	vm := sg.GetVerificationMaterial()
	info := &BundleInfo{
		MediaType:   sg.GetMediaType(),
		KeyHint:     vm.GetPublicKey().GetHint(),
		Certificate: vm.GetCertificate() != nil || vm.GetX509CertificateChain() != nil,
		TlogEntries: len(vm.GetTlogEntries()),
		Timestamps:  len(vm.GetTimestampVerificationData().GetRfc3161Timestamps()),
		sg:          sg,
		entries:     entries,
	}
	pe := sg.GetDsseEnvelope()
	if pe == nil {
		if sg.GetMessageSignature() == nil {
			return nil, nil, badInput(ErrMalformedBundle, "bundle holds neither a DSSE envelope nor a message signature")
		}
		info.MessageSignature = true
		return nil, info, nil
	}
	env := &Envelope{PayloadType: pe.GetPayloadType(), Payload: pe.GetPayload()}
	for _, s := range pe.GetSignatures() {
		env.Signatures = append(env.Signatures, EnvelopeSignature{KeyID: s.GetKeyid(), Sig: s.GetSig()})
	}
	return env, info, nil
}

// maxTlogEntries is sigstore-go's limit on log entries per bundle
// (internal/limits.MaxAllowedTlogEntries).
const maxTlogEntries = 32

// parseSigstoreBundle is sgbundle.Bundle.UnmarshalJSON with the log
// entries decoded once: sigstore-go's validation decodes every entry body
// (rekor's go-openapi models, a seventh of keyless verification) and
// throws the result away, and verification decodes them again. Here
// sigstore-go validates the bundle without its entries, and the entries
// are decoded here with the same parser and the same rules (at most 32;
// each one parses; v0.1 needs an inclusion promise, v0.2 and later an
// inclusion proof). TestParseBundleMatchesSigstoreGo checks the verdicts
// agree with UnmarshalJSON's.
// sigstoreGoVersion is the sigstore-go release pinline verifies with (go.mod).
const sigstoreGoVersion = "v1.3.0"

func parseSigstoreBundle(data []byte) (*sgbundle.Bundle, []*tlog.Entry, error) {
	pb := new(protobundle.Bundle)
	if err := protojson.Unmarshal(data, pb); err != nil {
		return nil, nil, err
	}
	vm := pb.GetVerificationMaterial()
	tles := vm.GetTlogEntries()
	if vm != nil {
		vm.TlogEntries = nil
	}
	sg, err := sgbundle.NewBundle(pb)
	if vm != nil {
		vm.TlogEntries = tles
	}
	if err != nil {
		return nil, nil, err
	}
	if len(tles) == 0 {
		return sg, nil, nil
	}
	if len(tles) > maxTlogEntries {
		return nil, nil, sgbundle.ErrValidationError(fmt.Errorf("too many tlog entries: %d > %d", len(tles), maxTlogEntries))
	}
	entries := make([]*tlog.Entry, len(tles))
	promise, proof := false, false
	for i, tle := range tles {
		if kv := tle.GetKindVersion(); kv.GetKind() == "dsse" && kv.GetVersion() == "0.0.2" {
			// Rekor v2's dsse kind (deprecated in rekor-tiles, which logs
			// DSSE as hashedrekord over the PAE) is not verified by
			// sigstore-go: say so instead of "not a recognizable type".
			return nil, nil, sgbundle.ErrValidationError(fmt.Errorf("tlog entry %d is a Rekor v2 dsse v0.0.2 entry: not supported (sigstore-go %s verifies Rekor v2 hashedrekord v0.0.2 entries only; the dsse kind is deprecated in Rekor v2)", i, sigstoreGoVersion))
		}
		if entries[i], err = tlog.ParseTransparencyLogEntry(tle); err != nil {
			return nil, nil, sgbundle.ErrValidationError(err)
		}
		promise = promise || entries[i].HasInclusionPromise()
		proof = proof || entries[i].HasInclusionProof()
	}
	version, err := sg.Version()
	if err != nil {
		return nil, nil, err
	}
	if semver.Compare(version, "v0.1") == 0 {
		if !promise {
			return nil, nil, errors.New("inclusion promises missing in bundle (required for bundle v0.1)")
		}
	} else if !proof {
		return nil, nil, errors.New("inclusion proof missing in bundle (required for bundle v0.2)")
	}
	return sg, entries, nil
}
