package attest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// PayloadTypeInToto is the DSSE payload type of in-toto statements.
const PayloadTypeInToto = "application/vnd.in-toto+json"

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
}

type wireEnvelope struct {
	PayloadType *string         `json:"payloadType"`
	Payload     *string         `json:"payload"`
	Signatures  []wireSignature `json:"signatures"`
}

type wireSignature struct {
	KeyID string  `json:"keyid"`
	Sig   *string `json:"sig"`
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
	}
	w := struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []sig  `json:"signatures"`
	}{PayloadType: e.PayloadType, Payload: base64.StdEncoding.EncodeToString(e.Payload), Signatures: []sig{}}
	for _, s := range e.Signatures {
		w.Signatures = append(w.Signatures, sig{KeyID: s.KeyID, Sig: base64.StdEncoding.EncodeToString(s.Sig)})
	}
	return json.Marshal(w)
}

// ParseEnvelope parses exactly one DSSE envelope from data. It fails closed:
// unknown fields, missing fields, invalid base64 and anything after the
// envelope but white space are errors (class ErrBadInput).
func ParseEnvelope(data []byte) (*Envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	env, err := decodeEnvelope(dec)
	if err != nil {
		return nil, err
	}
	if err := expectEOF(dec); err != nil {
		return nil, err
	}
	return env, nil
}

func expectEOF(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return badInput(ErrTrailingData, "at byte %d", dec.InputOffset())
	}
	return nil
}

func decodeEnvelope(dec *json.Decoder) (*Envelope, error) {
	dec.DisallowUnknownFields()
	var w wireEnvelope
	if err := dec.Decode(&w); err != nil {
		return nil, badInput(ErrMalformedEnvelope, "%v", jsonErr(err, dec))
	}
	return envelopeFromWire(&w)
}

func envelopeFromWire(w *wireEnvelope) (*Envelope, error) {
	if w.PayloadType == nil || w.Payload == nil {
		return nil, badInput(ErrMalformedEnvelope, "payloadType and payload are required")
	}
	payload, err := decodeB64(*w.Payload)
	if err != nil {
		return nil, badInput(ErrInvalidBase64, "payload: %v", err)
	}
	env := &Envelope{PayloadType: *w.PayloadType, Payload: payload}
	for i, s := range w.Signatures {
		if s.Sig == nil {
			return nil, badInput(ErrMalformedEnvelope, "signature %d has no sig", i)
		}
		sig, err := decodeB64(*s.Sig)
		if err != nil {
			return nil, badInput(ErrInvalidBase64, "signature %d: %v", i, err)
		}
		env.Signatures = append(env.Signatures, EnvelopeSignature{KeyID: s.KeyID, Sig: sig})
	}
	return env, nil
}

// decodeB64 accepts standard and URL-safe base64, padded or not, as the DSSE
// specification allows; anything else is an error.
func decodeB64(s string) ([]byte, error) {
	var firstErr error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		b, err := enc.Strict().DecodeString(s)
		if err == nil {
			return b, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// jsonErr adds the byte offset to a JSON decoding error.
func jsonErr(err error, dec *json.Decoder) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("byte %d: %w", se.Offset, err)
	case errors.As(err, &te):
		return fmt.Errorf("byte %d: %w", te.Offset, err)
	default:
		return fmt.Errorf("byte %d: %w", dec.InputOffset(), err)
	}
}
