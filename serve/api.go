package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pinline/pinline/record"
)

// Run states the server reports. Queued and running are the only
// non-final ones; a run's files are served only in a final state.
const (
	StateQueued      = "queued"
	StateRunning     = "running"
	StateSucceeded   = "succeeded"
	StateFailed      = "failed"
	StateDenied      = "denied"
	StateCancelled   = "cancelled"
	StateInterrupted = "interrupted"
)

// Final reports whether state is a final state.
func Final(state string) bool {
	switch state {
	case StateSucceeded, StateFailed, StateDenied, StateCancelled, StateInterrupted:
		return true
	}
	return false
}

// SubmitRequest is the body of POST /v1/runs.
type SubmitRequest struct {
	// Repository is the repository URL; Commit the full 40-hex commit.
	Repository string `json:"repository"`
	Commit     string `json:"commit"`
	// Spec is the spec path inside the repository (default pinline.yaml).
	Spec string `json:"spec,omitempty"`
	// Tasks are the task names (empty: all).
	Tasks []string `json:"tasks,omitempty"`
	// Tier optionally asks for a tier; the certificate decides whether
	// it gets it (the gateway's rules).
	Tier string `json:"tier,omitempty"`
}

// maxRequestBytes bounds a request body.
const maxRequestBytes = 64 << 10

// DecodeSubmit reads a SubmitRequest strictly: one JSON object, no unknown
// fields, no trailing data, at most 64 KiB. The spec defaults to
// pinline.yaml.
func DecodeSubmit(r io.Reader) (*SubmitRequest, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRequestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	if len(data) > maxRequestBytes {
		return nil, fmt.Errorf("request body larger than %d bytes", maxRequestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var req SubmitRequest
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("request body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("request body: data after the JSON object")
	}
	if req.Spec == "" {
		req.Spec = DefaultSpec
	}
	if req.Tasks == nil {
		req.Tasks = []string{}
	}
	return &req, nil
}

// RunStatus is a run as the API reports it (the server's state file).
type RunStatus struct {
	ID         string   `json:"id"`
	State      string   `json:"state"`
	Tier       string   `json:"tier"`
	BuilderID  string   `json:"builderId"`
	Repository string   `json:"repository"`
	Commit     string   `json:"commit"`
	Spec       string   `json:"spec"`
	Tasks      []string `json:"tasks"`
	// Identity is the certificate identity that submitted the run.
	Identity    string    `json:"identity"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	SubmittedAt time.Time `json:"submittedAt"`
	StartedAt   time.Time `json:"startedAt,omitzero"`
	FinishedAt  time.Time `json:"finishedAt,omitzero"`
	// Position is the place in the tier's queue (1: next) while queued.
	Position int `json:"position,omitempty"`
	// ExitCode is `pinline run`'s exit code for the run (final states).
	ExitCode int    `json:"exitCode"`
	Error    string `json:"error,omitempty"`
	// Signed is true only for a succeeded run whose provenance this
	// server signed and recorded.
	Signed      bool   `json:"signed"`
	SignerKeyID string `json:"signerKeyId,omitempty"`
}

// Event is one JSON line of GET /v1/runs/{id}/events.
type Event struct {
	Seq  int       `json:"seq"`
	Time time.Time `json:"time"`
	// Type is queued, started, task, output, log or done.
	Type     string `json:"type"`
	Position int    `json:"position,omitempty"`
	Task     string `json:"task,omitempty"`
	Status   string `json:"status,omitempty"`
	ExitCode *int   `json:"exitCode,omitempty"`
	// Stream is stdout or stderr (type output).
	Stream string `json:"stream,omitempty"`
	// Data is the task's output while it runs, whole lines as the engine
	// reports them (type output, best effort), or a chunk of its complete
	// log once it has finished (type log).
	Data string `json:"data,omitempty"`
	// Run is the final status (type done).
	Run *RunStatus `json:"run,omitempty"`
}

// FileEntry is one file of a finished run (GET /v1/runs/{id}/files).
type FileEntry struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ErrorBody is the JSON body of every 4xx and 5xx answer.
type ErrorBody struct {
	Error string `json:"error"`
	// Reason is a stable code (e.g. "identity-matches-no-tier",
	// "repository-not-allowed", "unknown-task").
	Reason string `json:"reason"`
}

// Paging of GET /v1/runs.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// ListFilter is the query of GET /v1/runs: the filters (every one set
// must match), the page size and the cursor a previous page returned.
type ListFilter struct {
	Repository string
	Tier       string
	State      string
	// Since keeps runs submitted at or after it.
	Since time.Time
	// Limit is the page size (0: DefaultListLimit; at most MaxListLimit).
	Limit int
	// Cursor is a previous page's NextCursor (opaque).
	Cursor string
}

// RunList is the answer of GET /v1/runs: runs in id order (oldest
// first); NextCursor, when set, fetches the next page.
type RunList struct {
	Runs       []RunStatus `json:"runs"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

var listParams = []string{"repository", "tier", "state", "since", "limit", "cursor"}

// ParseListFilter reads the query of GET /v1/runs strictly.
func ParseListFilter(q url.Values) (*ListFilter, error) {
	for k, v := range q {
		if !slices.Contains(listParams, k) {
			return nil, fmt.Errorf("unknown query parameter %q (parameters: %s)", k, strings.Join(listParams, ", "))
		}
		if len(v) != 1 {
			return nil, fmt.Errorf("query parameter %q given %d times", k, len(v))
		}
	}
	f := &ListFilter{Repository: q.Get("repository"), Tier: q.Get("tier"), State: q.Get("state"), Cursor: q.Get("cursor"), Limit: DefaultListLimit}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, fmt.Errorf("since: %q is not an RFC 3339 time", v)
		}
		f.Since = t
	}
	if f.State != "" && !Final(f.State) && f.State != StateQueued && f.State != StateRunning {
		return nil, fmt.Errorf("state: %q is not a run state", f.State)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxListLimit || strconv.Itoa(n) != v {
			return nil, fmt.Errorf("limit: %q is not a page size from 1 to %d", v, MaxListLimit)
		}
		f.Limit = n
	}
	if f.Cursor != "" {
		if _, err := decodeCursor(f.Cursor); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Values is the query of f (for a client).
func (f *ListFilter) Values() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"repository": f.Repository, "tier": f.Tier, "state": f.State, "cursor": f.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// Match reports whether st passes the filters.
func (f *ListFilter) Match(st *RunStatus) bool {
	return (f.Repository == "" || st.Repository == f.Repository) &&
		(f.Tier == "" || st.Tier == f.Tier) &&
		(f.State == "" || st.State == f.State) &&
		(f.Since.IsZero() || !st.SubmittedAt.Before(f.Since))
}

// A cursor is the last run id of the page, base64url-encoded behind a
// version prefix: opaque to clients, checked when it comes back.
const cursorPrefix = "c1:"

func encodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + lastID))
}

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	id, ok := strings.CutPrefix(string(b), cursorPrefix)
	if err != nil || !ok || !record.ValidRunID(id) {
		return "", fmt.Errorf("cursor: %q is not a cursor this server returned", c)
	}
	return id, nil
}
