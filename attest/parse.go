package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
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
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []Attestation
	for i := 0; ; i++ {
		var raw json.RawMessage
		start := dec.InputOffset()
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			if i > 0 {
				return nil, wrapAt(name, i, badInput(ErrTrailingData, "after value %d at byte %d: %v", i, start, err))
			}
			return nil, wrapAt(name, i, badInput(ErrMalformedEnvelope, "%v", jsonErr(err, dec)))
		}
		a, err := parseOne(raw)
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

func parseOne(raw []byte) (*Attestation, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, badInput(ErrMalformedEnvelope, "not a JSON object: %v", err)
	}
	if _, ok := probe["mediaType"]; ok {
		env, info, err := ParseBundle(raw)
		if err != nil {
			return nil, err
		}
		return &Attestation{Format: FormatBundle, Envelope: env, Bundle: info}, nil
	}
	env, err := ParseEnvelope(raw)
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
