package attest

import (
	"reflect"
	"strings"

	intotogolang "github.com/in-toto/in-toto-golang/in_toto"

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
}

type wireEnvelope struct {
	PayloadType *string         `json:"payloadType"`
	Payload     *b64Field       `json:"payload"`
	Signatures  []wireSignature `json:"signatures"`
}

type wireSignature struct {
	KeyID string    `json:"keyid"`
	Sig   *b64Field `json:"sig"`
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
	env, err := decodeEnvelope(dec, data)
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

func decodeEnvelope(dec *json.Decoder, data []byte) (*Envelope, error) {
	dec.DisallowUnknownFields()
	var w wireEnvelope
	if err := dec.Decode(&w); err != nil {
		return nil, badInput(ErrMalformedEnvelope, "%v", jsonErr(err, dec, data))
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
		env.Signatures = append(env.Signatures, EnvelopeSignature{KeyID: s.KeyID, Sig: s.Sig.Data})
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

// jsonErr adds the position (line, column and byte offset) to a JSON
// decoding error over data. A truncated document is placed at its end.
func jsonErr(err error, dec *json.Decoder, data []byte) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := dec.InputOffset()
	switch {
	case errors.As(err, &se):
		off = max(se.Offset-1, 0) // the offending byte: Offset counts it as read
	case errors.As(err, &te):
		// Offsets of type errors raised inside custom unmarshalers are
		// relative to the inner value; the member's key places it better.
		// The message names the member, not Go's struct path.
		field := te.Field[strings.LastIndexByte(te.Field, '.')+1:]
		off = te.Offset
		if k := memberValueOffset(data, field); k >= 0 {
			off = k
		}
		if te.Type != nil {
			err = fmt.Errorf("member %q: JSON %s where %s is required", field, te.Value, jsonKind(te.Type.Kind()))
		}
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(data))
	}
	line, col := lineCol(data, off)
	return fmt.Errorf("line %d, column %d (byte %d): %w", line, col, off, err)
}

// memberValueOffset is the offset of the value of the first member named
// name in data, or -1.
func memberValueOffset(data []byte, name string) int64 {
	if name == "" {
		return -1
	}
	key := []byte(strconv.Quote(name))
	for from := 0; ; {
		i := bytes.Index(data[from:], key)
		if i < 0 {
			return -1
		}
		j := from + i + len(key)
		rest := bytes.TrimLeft(data[j:], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			v := bytes.TrimLeft(rest[1:], " \t\r\n")
			return int64(len(data) - len(v))
		}
		from = j
	}
}

// jsonKind names a Go kind as the JSON type it decodes from, with its
// article.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + k.String()
}

// lineCol turns a byte offset into data into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
