package attest

import (
	"context"
	"encoding/json"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// SignProvenance builds the SLSA v1 provenance statement for desc, signs it
// with s and returns the DSSE envelope (provenance.intoto.json) and the
// sigstore bundle v0.3 (provenance.sigstore.json). Both carry the same
// signature over the same payload.
func SignProvenance(ctx context.Context, desc BuildDescription, s Signer) (envelopeJSON, bundleJSON []byte, err error) {
	return SignProvenanceWith(ctx, desc, s, SignOptions{})
}

// SignProvenanceWith is SignProvenance with options.
func SignProvenanceWith(ctx context.Context, desc BuildDescription, s Signer, o SignOptions) (envelopeJSON, bundleJSON []byte, err error) {
	payload, err := StatementJSON(desc)
	if err != nil {
		return nil, nil, err
	}
	return SignStatementWith(ctx, payload, s, o)
}

// SignOptions are optional parts of signing.
type SignOptions struct {
	// Timestamper, when not nil, adds an RFC 3161 timestamp over the
	// signature to the bundle (the envelope cannot carry one).
	Timestamper Timestamper
}

// SignStatement signs an in-toto statement payload into a DSSE envelope and
// a sigstore bundle.
func SignStatement(ctx context.Context, payload []byte, s Signer) (envelopeJSON, bundleJSON []byte, err error) {
	return SignStatementWith(ctx, payload, s, SignOptions{})
}

// SignStatementWith is SignStatement with options.
func SignStatementWith(ctx context.Context, payload []byte, s Signer, o SignOptions) (envelopeJSON, bundleJSON []byte, err error) {
	if s == nil {
		return nil, nil, fmt.Errorf("%w: %w: no signer", ErrBadInput, ErrKey)
	}
	env, err := SignEnvelope(ctx, s, PayloadTypeInToto, payload)
	if err != nil {
		return nil, nil, err
	}
	envelopeJSON, err = json.Marshal(env)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal envelope: %w", err)
	}
	var timestamps [][]byte
	if o.Timestamper != nil {
		ts, err := o.Timestamper.Timestamp(ctx, env.Signatures[0].Sig)
		if err != nil {
			return nil, nil, err
		}
		timestamps = append(timestamps, ts)
	}
	bundleJSON, err = marshalBundle(env, s.PublicKey(), timestamps)
	if err != nil {
		return nil, nil, err
	}
	return envelopeJSON, bundleJSON, nil
}

// PredicateStatement wraps a predicate document (any JSON object, e.g. a
// SLSA v1 predicate or a CycloneDX BOM) into an in-toto Statement v1 about
// subjects, as `cosign attest-blob` does.
func PredicateStatement(predicate []byte, predicateType string, subjects []Subject) ([]byte, error) {
	if len(subjects) == 0 {
		return nil, fmt.Errorf("%w: no subjects", ErrBadInput)
	}
	pred := &structpb.Struct{}
	if err := protojson.Unmarshal(predicate, pred); err != nil {
		return nil, fmt.Errorf("%w: predicate is not a JSON object: %w", ErrBadInput, err)
	}
	st := &intoto.Statement{Type: intoto.StatementTypeUri, PredicateType: predicateType, Predicate: pred}
	for _, s := range subjects {
		if !isSHA256Hex(s.SHA256) {
			return nil, fmt.Errorf("%w: subject %q: bad sha256 %q", ErrBadInput, s.Name, s.SHA256)
		}
		st.Subject = append(st.Subject, &intoto.ResourceDescriptor{Name: s.Name, Digest: map[string]string{"sha256": s.SHA256}})
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("%w: statement: %w", ErrBadInput, err)
	}
	return MarshalStatement(st)
}
