package serve

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// AuditRecord is one JSON line of the server's audit log: every request,
// answered or refused. The certificate is named by its identity and
// SHA-256 fingerprint; no secret is ever logged.
type AuditRecord struct {
	Time        time.Time `json:"time"`
	Remote      string    `json:"remote"`
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	Subject     string    `json:"subject,omitempty"`
	Identity    string    `json:"identity,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Tier        string    `json:"tier,omitempty"`
	RunID       string    `json:"runId,omitempty"`
	Status      int       `json:"status"`
	Outcome     string    `json:"outcome"` // ok or refused
	Reason      string    `json:"reason,omitempty"`
	Detail      string    `json:"detail,omitempty"`
	DurationMS  int64     `json:"durationMs"`
}

type auditLog struct {
	mu     sync.Mutex
	enc    *json.Encoder
	broken error
}

func newAuditLog(w io.Writer) *auditLog {
	if w == nil {
		w = io.Discard
	}
	return &auditLog{enc: json.NewEncoder(w)}
}

// write appends r; after a failed write the log stays broken and the
// server refuses every request (fail closed: no unaudited work).
func (a *auditLog) write(r *AuditRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.broken != nil {
		return a.broken
	}
	if err := a.enc.Encode(r); err != nil {
		a.broken = err
		return err
	}
	return nil
}

func (a *auditLog) err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.broken
}
