package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/internal/jsonerr"
)

// Protocol: after the TLS handshake the client sends one line
//
//	{"pinline-client":1,"tier":"<requested tier or empty>"}\n
//
// and the gateway answers with one line, then (on success) proxies raw
// bytes between the client and the engine:
//
//	{"pinline-gateway":1,"tier":"trusted","identity":"spiffe:spiffe://example.org/ci/main",
//	 "builderId":"...","cacheMode":"strong","fingerprint":"<sha256 hex>","serial":"<hex>"}\n
//
// A probe ({"pinline-client":1,"tier":"...","probe":true}) gets the same
// answer, after which the gateway closes the connection without dialling
// an engine. When no engine of the tier answers, the gateway sends
// {"pinline-gateway":1,"error":"error","reason":"backend-unavailable","detail":"..."}.
//
// or, on refusal, {"pinline-gateway":1,"error":"refused","reason":"<code>","detail":"..."}\n
// and closes the connection. Lines are at most MaxPrefaceLine bytes.

// ProtocolVersion is the preface version both sides speak.
const ProtocolVersion = 1

// MaxPrefaceLine bounds a preface line, newline included.
const MaxPrefaceLine = 4096

// ClientHello is the client's preface.
type ClientHello struct {
	Version int    `json:"pinline-client"`
	Tier    string `json:"tier,omitempty"`
	// Probe asks only for the assignment: the gateway answers with the
	// tier, identity and builder id and closes the connection without
	// dialling a backend (audit outcome "probe").
	Probe bool `json:"probe,omitempty"`
	// Session is the run's session key (SessionKeyLen lowercase hex,
	// random per run, chosen by the forwarder): every connection of one
	// run carries it, and the gateway places all of them on one engine.
	Session string `json:"session,omitempty"`
	// Engine (with Session) is the engine the session was placed on, as
	// the gateway announced it on the session's first connection: later
	// connections go there or fail (session-engine-gone), never elsewhere.
	Engine string `json:"engine,omitempty"`
}

// SessionKeyLen is the length of a session key: 128 random bits in hex.
const SessionKeyLen = 32

// ServerHello is the gateway's preface: the tier and identity the client
// was given, or a refusal.
type ServerHello struct {
	Version   int    `json:"pinline-gateway"`
	Tier      string `json:"tier,omitempty"`
	Identity  string `json:"identity,omitempty"`
	BuilderID string `json:"builderId,omitempty"`
	CacheMode string `json:"cacheMode,omitempty"`
	// SnapshotFrom (shared mode) names the tier whose caches this tier
	// reads as copy-on-write snapshots.
	SnapshotFrom string `json:"snapshotFrom,omitempty"`
	// SnapshotImage is the pinned image of the snapshot copy step.
	SnapshotImage string `json:"snapshotImage,omitempty"`
	Fingerprint   string `json:"fingerprint,omitempty"`
	Serial        string `json:"serial,omitempty"`
	// Engine is the engine the connection was placed on (the tier's
	// backend id, never a socket path); absent for probes and refusals.
	Engine string `json:"engine,omitempty"`
	// EngineNative (never on the wire) marks an assignment made up by the
	// client for an engine's own TLS listener: nobody verified the tier
	// or authorized the identity.
	EngineNative bool   `json:"-"`
	Error        string `json:"error,omitempty"`
	Reason       string `json:"reason,omitempty"`
	Detail       string `json:"detail,omitempty"`
}

// engineIDPattern matches engineconfig.Tier.EngineID: "<tier>-<index>".
var engineIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}-[0-9]{1,4}$`)

func validSessionKey(s string) bool {
	if len(s) != SessionKeyLen {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ErrPreface marks a malformed preface line.
var ErrPreface = errors.New("bad preface")

// readLine reads one '\n'-terminated line byte by byte, so that no byte
// after the newline is consumed (the proxied stream follows directly).
func readLine(r io.Reader) ([]byte, error) {
	buf := make([]byte, 0, 256)
	var b [1]byte
	for len(buf) < MaxPrefaceLine {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				return buf, nil
			}
			buf = append(buf, b[0])
			continue
		}
		if err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("%w: connection closed after %d bytes without a newline", ErrPreface, len(buf))
			}
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: line longer than %d bytes", ErrPreface, MaxPrefaceLine)
}

func decodeStrict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrPreface, err)
	}
	if err := jsonerr.End(dec, line); err != nil {
		return fmt.Errorf("%w: %v", ErrPreface, err)
	}
	return nil
}

// ParseClientHello parses and validates a client preface line (without
// its newline).
func ParseClientHello(line []byte) (ClientHello, error) {
	var h ClientHello
	if err := decodeStrict(line, &h); err != nil {
		return ClientHello{}, err
	}
	if h.Version != ProtocolVersion {
		return ClientHello{}, fmt.Errorf("%w: pinline-client version %d, want %d", ErrPreface, h.Version, ProtocolVersion)
	}
	if h.Tier != "" && !engineconfig.ValidTierName(h.Tier) {
		return ClientHello{}, fmt.Errorf("%w: tier %q is not a tier name", ErrPreface, h.Tier)
	}
	if h.Session != "" && !validSessionKey(h.Session) {
		return ClientHello{}, fmt.Errorf("%w: session must be %d lowercase hex characters", ErrPreface, SessionKeyLen)
	}
	if h.Engine != "" && (h.Session == "" || !engineIDPattern.MatchString(h.Engine)) {
		return ClientHello{}, fmt.Errorf("%w: engine %q needs a session and must be an engine id", ErrPreface, h.Engine)
	}
	if h.Probe && (h.Session != "" || h.Engine != "") {
		return ClientHello{}, fmt.Errorf("%w: a probe carries no session", ErrPreface)
	}
	return h, nil
}

// ParseServerHello parses and validates a gateway preface line. A refusal
// parses fine; check Error.
func ParseServerHello(line []byte) (ServerHello, error) {
	var h ServerHello
	if err := decodeStrict(line, &h); err != nil {
		return ServerHello{}, err
	}
	if h.Version != ProtocolVersion {
		return ServerHello{}, fmt.Errorf("%w: pinline-gateway version %d, want %d", ErrPreface, h.Version, ProtocolVersion)
	}
	if h.Error == "" && (h.Tier == "" || h.Identity == "" || h.BuilderID == "") {
		return ServerHello{}, fmt.Errorf("%w: gateway preface lacks tier, identity or builderId", ErrPreface)
	}
	return h, nil
}

func writeLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
