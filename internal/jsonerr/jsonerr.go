package jsonerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// Describe returns err with the line and column in data where decoding
// failed. off is where the decoder stood when it failed (for example
// json.Decoder.InputOffset), or -1 when unknown; it places errors that carry
// no offset of their own. Errors it cannot place are returned unchanged.
func Describe(data []byte, err error, off int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &se) && se.Error() == "unexpected end of JSON input":
		off = int64(len(data)) // truncated: the end of the input
	case errors.As(err, &se):
		off = max(se.Offset-1, 0) // the offending byte: Offset counts it as read
	case errors.As(err, &te):
		// Offsets of type errors raised inside custom unmarshalers are
		// relative to the inner value; the member's key places it better.
		// The message names the member, not Go's struct path.
		field := te.Field[strings.LastIndexByte(te.Field, '.')+1:]
		off = te.Offset
		if field == "" {
			// The document itself has the wrong type.
			off = int64(len(data) - len(bytes.TrimLeft(data, " \t\r\n")))
			if te.Type != nil {
				err = fmt.Errorf("JSON %s where %s is required", te.Value, kind(te.Type.Kind()))
			}
			break
		}
		if k := memberValueOffset(data, field); k >= 0 {
			off = k
		}
		if te.Type != nil {
			err = fmt.Errorf("member %q: JSON %s where %s is required", field, te.Value, kind(te.Type.Kind()))
		}
	}
	if off < 0 {
		return err
	}
	line, col := LineCol(data, off)
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// LineCol turns a byte offset into data into a 1-based line and column
// (columns count bytes). Offsets outside data are clamped to it.
func LineCol(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
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

// kind names a Go kind as the JSON type it decodes from, with its article.
func kind(k reflect.Kind) string {
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

// ErrTrailingData is something other than white space after the JSON value.
var ErrTrailingData = errors.New("trailing data after the JSON value")

// DecodeStrict decodes exactly one JSON value of data into v. Unknown
// object members are errors, anything after the value but white space is
// ErrTrailingData (placed at the first such byte), and decoding errors are
// placed with Describe.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Describe(data, err, dec.InputOffset())
	}
	return End(dec, data)
}

// End checks that dec, which decoded a value from data, has nothing but
// white space left: otherwise ErrTrailingData, placed at the first other
// byte. (json.Decoder.More is no such check: it reports false for a stray
// '}' or ']'.)
func End(dec *json.Decoder, data []byte) error {
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		off := end + int64(len(data[end:])-len(bytes.TrimLeft(data[end:], " \t\r\n")))
		line, col := LineCol(data, off)
		return fmt.Errorf("line %d, column %d: %w", line, col, ErrTrailingData)
	}
	return nil
}
