package gateway

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Outcomes of a connection in the audit log.
const (
	OutcomeOK      = "ok"
	OutcomeRefused = "refused"
	OutcomeError   = "error"
	// OutcomeProbe: the client asked only for its assignment; no engine
	// was dialled.
	OutcomeProbe = "probe"
)

// AuditRecord is one JSON line of the audit log, written when a connection
// ends. Bytes are counted at the gateway: BytesUp client→engine,
// BytesDown engine→client. No secrets are logged; the certificate is
// identified by its SHA-256 fingerprint and serial.
type AuditRecord struct {
	Time        time.Time `json:"time"`
	Remote      string    `json:"remote"`
	Subject     string    `json:"subject,omitempty"`
	Identity    string    `json:"identity,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Serial      string    `json:"serial,omitempty"`
	// Unverified marks subject, fingerprint and serial as those of a
	// certificate the TLS handshake rejected: what was presented, not who
	// connected.
	Unverified    bool   `json:"unverified,omitempty"`
	RequestedTier string `json:"requestedTier,omitempty"`
	Tier          string `json:"tier,omitempty"`
	Backend       string `json:"backend,omitempty"`
	// Engine is the backend's id ("<tier>-<index>"); Session the
	// connection's session key (all connections of one run share it).
	Engine     string `json:"engine,omitempty"`
	Session    string `json:"session,omitempty"`
	BytesUp    int64  `json:"bytesUp"`
	BytesDown  int64  `json:"bytesDown"`
	DurationMS int64  `json:"durationMs"`
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// auditLog serialises records to w, one JSON object per line.
type auditLog struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newAuditLog(w io.Writer) *auditLog {
	if w == nil {
		w = io.Discard
	}
	return &auditLog{enc: json.NewEncoder(w)}
}

// write appends r. An error means the audit trail is broken; the server
// then stops accepting connections (fail closed).
func (a *auditLog) write(r *AuditRecord) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.enc.Encode(r)
}
