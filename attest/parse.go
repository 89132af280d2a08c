package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"github.com/pinline/pinline/internal/jsonerr"
)

// Attestation formats.
const (
	FormatDSSE   = "dsse"
	FormatBundle = "bundle"
)

// Attestation is one parsed attestation: a DSSE envelope, either bare or
// inside a sigstore bundle.
type Attestation struct {
	Source   string // file it came from
	Index    int    // position in a JSON-lines file, from 0
	Format   string // FormatDSSE or FormatBundle
	Envelope *Envelope
	Bundle   *BundleInfo // nil for bare envelopes
}

// ParseAttestations auto-detects and parses a file holding one DSSE
// envelope, a sigstore bundle, or a sequence of them (JSON lines). Values are
// told apart by the bundle's mediaType field. Every value must parse; any
// trailing bytes that are not a JSON value are ErrTrailingData. name is used
// in error messages.
func ParseAttestations(name string, data []byte) ([]Attestation, error) {
	if out, ok := fastAttestations(name, data); ok {
		return out, nil
	}
	return parseAttestationsSlow(name, data)
}

// parseAttestationsSlow is ParseAttestations with encoding/json and
// sigstore-go only: it accepts every form they accept and reports errors.
func parseAttestationsSlow(name string, data []byte) ([]Attestation, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var out []Attestation
	for i := 0; ; i++ {
		start := dec.InputOffset()
		var probe probeDoc
		err := dec.Decode(&probe)
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *json.SyntaxError
			if i > 0 && errors.As(err, &se) {
				return nil, wrapAt(name, i, badInput(ErrTrailingData, "after value %d at byte %d: %v", i, start, err))
			}
			return nil, wrapAt(name, i, badInput(ErrMalformedEnvelope, "%v", jsonerr.Describe(data, err, dec.InputOffset())))
		}
		a, err := fromProbe(&probe, data[start:dec.InputOffset()])
		if err != nil {
			return nil, wrapAt(name, i, err)
		}
		a.Source, a.Index = name, i
		out = append(out, *a)
	}
	if len(out) == 0 {
		return nil, wrapAt(name, 0, badInput(ErrMalformedEnvelope, "no attestation in file"))
	}
	return out, nil
}

// probeDoc decodes a bare DSSE envelope in one pass and recognises a bundle
// by its fields; anything else is an unknown field.
type probeDoc struct {
	MediaType            *string         `json:"mediaType"`
	VerificationMaterial json.RawMessage `json:"verificationMaterial"`
	DSSEEnvelope         json.RawMessage `json:"dsseEnvelope"`
	MessageSignature     json.RawMessage `json:"messageSignature"`
	wireEnvelope
}

// fromProbe finishes parsing one value; raw is its text.
func fromProbe(probe *probeDoc, raw []byte) (*Attestation, error) {
	if probe.MediaType != nil || probe.DSSEEnvelope != nil || probe.VerificationMaterial != nil || probe.MessageSignature != nil {
		env, info, err := ParseBundle(raw)
		if err != nil {
			return nil, err
		}
		return &Attestation{Format: FormatBundle, Envelope: env, Bundle: info}, nil
	}
	env, err := envelopeFromWire(&probe.wireEnvelope)
	if err != nil {
		return nil, err
	}
	return &Attestation{Format: FormatDSSE, Envelope: env}, nil
}

// LocatedError names the file and value an error belongs to.
type LocatedError struct {
	File  string
	Index int
	Err   error
}

func (e *LocatedError) Error() string {
	if e.Index > 0 {
		return e.File + " (value " + strconv.Itoa(e.Index+1) + "): " + e.Err.Error()
	}
	return e.File + ": " + e.Err.Error()
}

func (e *LocatedError) Unwrap() error { return e.Err }

func wrapAt(file string, idx int, err error) error {
	var le *LocatedError
	if errors.As(err, &le) {
		return err
	}
	return &LocatedError{File: file, Index: idx, Err: err}
}
