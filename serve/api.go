package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
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
