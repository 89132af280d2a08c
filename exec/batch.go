package exec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// maxBatchLine bounds one line of a batch file.
const maxBatchLine = 4 << 20

// BatchLine is one parsed line of a batch file: the job and, when the line
// names a file instead of code, the file (the caller reads it).
type BatchLine struct {
	Job
	File string
	Line int
}

type batchJSON struct {
	Lang    string          `json:"lang"`
	Code    *string         `json:"code"`
	File    string          `json:"file"`
	Timeout json.RawMessage `json:"timeout"`
}

// ParseBatch reads JSON lines of {lang, code|file, timeout}: timeout in
// seconds (a number) or a Go duration ("1m30s"). Blank lines are skipped.
// Errors name the line and wrap ErrInvalid.
func ParseBatch(r io.Reader) ([]BatchLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxBatchLine)
	var out []BatchLine
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var j batchJSON
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&j); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrInvalid, n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%w: line %d: one JSON object per line", ErrInvalid, n)
		}
		if j.Lang == "" {
			return nil, fmt.Errorf("%w: line %d: lang is required", ErrInvalid, n)
		}
		if (j.Code == nil) == (j.File == "") {
			return nil, fmt.Errorf("%w: line %d: exactly one of code and file is required", ErrInvalid, n)
		}
		bl := BatchLine{Job: Job{Lang: j.Lang}, File: j.File, Line: n}
		if j.Code != nil {
			bl.Code = *j.Code
		}
		if len(j.Timeout) > 0 && string(j.Timeout) != "null" {
			d, err := parseTimeout(j.Timeout)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: timeout: %w", ErrInvalid, n, err)
			}
			bl.Timeout = d
		}
		out = append(out, bl)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %w", ErrInvalid, n+1, err)
	}
	return out, nil
}

func parseTimeout(raw json.RawMessage) (time.Duration, error) {
	var secs float64
	if err := json.Unmarshal(raw, &secs); err == nil {
		if secs <= 0 || secs > 24*3600 {
			return 0, fmt.Errorf("%v seconds is out of range", secs)
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("want seconds or a duration string")
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 || d > 24*time.Hour {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return d, nil
}
