package attest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"

	intotogolang "github.com/in-toto/in-toto-golang/in_toto"

	"github.com/pinline/pinline/internal/jsonerr"
)

// PayloadTypeInToto is the DSSE payload type of in-toto statements.
const PayloadTypeInToto = intotogolang.PayloadType

// Envelope is a DSSE envelope as written on disk. Payload and Sig hold the
// decoded bytes; JSON uses standard base64.
type Envelope struct {
	PayloadType string
	Payload     []byte
	Signatures  []EnvelopeSignature
}

// EnvelopeSignature is one DSSE signature.
type EnvelopeSignature struct {
	KeyID string
	Sig   []byte
	// Cert is the PEM signing certificate some producers put beside the
	// signature (slsa-github-generator v1 .intoto.jsonl); it makes the
	// envelope keyless evidence.
	Cert string
}

type wireEnvelope struct {
	PayloadType *string         `json:"payloadType"`
	Payload     *b64Field       `json:"payload"`
	Signatures  []wireSignature `json:"signatures"`
}

type wireSignature struct {
	KeyID string    `json:"keyid"`
	Sig   *b64Field `json:"sig"`
	Cert  string    `json:"cert"`
}

// b64Field is a base64 JSON string decoded straight from the JSON text
// (no intermediate Go string); Err keeps a decoding error for the caller
// to classify.
type b64Field struct {
	Data []byte
	Err  error
}

func (f *b64Field) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || bytes.IndexByte(b, '\\') >= 0 {
		// Not a plain string: let encoding/json unquote it (or reject it).
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		f.Data, f.Err = decodeB64(s)
		return nil
	}
	f.Data, f.Err = decodeB64Bytes(b[1 : len(b)-1])
	return nil
}

// PAE is the DSSE pre-authentication encoding: what is actually signed.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(32 + len(payloadType) + len(payload))
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// SignEnvelope signs payload as a DSSE envelope of payloadType.
func SignEnvelope(ctx context.Context, s Signer, payloadType string, payload []byte) (*Envelope, error) {
	sig, err := s.Sign(ctx, PAE(payloadType, payload))
	if err != nil {
		return nil, err
	}
	return &Envelope{PayloadType: payloadType, Payload: payload, Signatures: []EnvelopeSignature{{Sig: sig}}}, nil
}

// MarshalJSON writes the envelope in the DSSE JSON form (standard base64),
// the form cosign writes.
func (e *Envelope) MarshalJSON() ([]byte, error) {
	type sig struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
		Cert  string `json:"cert,omitempty"`
	}
	w := struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []sig  `json:"signatures"`
	}{PayloadType: e.PayloadType, Payload: base64.StdEncoding.EncodeToString(e.Payload), Signatures: []sig{}}
	for _, s := range e.Signatures {
		w.Signatures = append(w.Signatures, sig{KeyID: s.KeyID, Sig: base64.StdEncoding.EncodeToString(s.Sig), Cert: s.Cert})
	}
	return json.Marshal(w)
}

// ParseEnvelope parses exactly one DSSE envelope from data. It fails closed:
// unknown fields, missing fields, invalid base64 and anything after the
// envelope but white space are errors (class ErrBadInput).
func ParseEnvelope(data []byte) (*Envelope, error) {
	var w wireEnvelope
	if err := jsonerr.DecodeStrict(data, &w); err != nil {
		if errors.Is(err, jsonerr.ErrTrailingData) {
			return nil, badInput(ErrTrailingData, "%v", err)
		}
		return nil, badInput(ErrMalformedEnvelope, "%v", err)
	}
	return envelopeFromWire(&w)
}

func envelopeFromWire(w *wireEnvelope) (*Envelope, error) {
	if w.PayloadType == nil || w.Payload == nil {
		return nil, badInput(ErrMalformedEnvelope, "payloadType and payload are required")
	}
	if w.Payload.Err != nil {
		return nil, badInput(ErrInvalidBase64, "payload: %v", w.Payload.Err)
	}
	env := &Envelope{PayloadType: *w.PayloadType, Payload: w.Payload.Data}
	for i, s := range w.Signatures {
		if s.Sig == nil {
			return nil, badInput(ErrMalformedEnvelope, "signature %d has no sig", i)
		}
		if s.Sig.Err != nil {
			return nil, badInput(ErrInvalidBase64, "signature %d: %v", i, s.Sig.Err)
		}
		env.Signatures = append(env.Signatures, EnvelopeSignature{KeyID: s.KeyID, Sig: s.Sig.Data, Cert: s.Cert})
	}
	return env, nil
}

// decodeB64 accepts standard and URL-safe base64, padded or not, as the DSSE
// specification allows; anything else is an error.
func decodeB64(s string) ([]byte, error) { return decodeB64Bytes([]byte(s)) }

var b64Encodings = []*base64.Encoding{base64.StdEncoding.Strict(), base64.URLEncoding.Strict(), base64.RawStdEncoding.Strict(), base64.RawURLEncoding.Strict()}

func decodeB64Bytes(src []byte) ([]byte, error) {
	var firstErr error
	for _, enc := range b64Encodings {
		dst := make([]byte, enc.DecodedLen(len(src)))
		n, err := enc.Decode(dst, src)
		if err == nil {
			return dst[:n], nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}
