// Package jsonerr places encoding/json decoding errors in their input: it
// turns a syntax error, a type error or a truncated document into
// "line L, column C: ..." and names JSON members and types instead of Go
// struct paths; DecodeStrict decodes exactly one JSON value, refusing
// unknown members and trailing data. Every package that reports malformed JSON to a user
// (attestations, engine.json, run records) uses it, so positions read the
// same everywhere.
package jsonerr
