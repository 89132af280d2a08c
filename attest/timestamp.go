package attest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"
)

// ErrTimestamp is an RFC 3161 timestamp that could not be obtained
// (signing, class ErrOperational) or does not verify (class
// ErrVerificationFailed).
var ErrTimestamp = errors.New("RFC 3161 timestamp")

// Timestamper obtains an RFC 3161 timestamp over a signature; the bundle
// keeps the authority's response (sigstore's timestampVerificationData).
type Timestamper interface {
	Timestamp(ctx context.Context, signature []byte) ([]byte, error)
}

// TSAClient asks a timestamp authority over HTTP (RFC 3161 over HTTP:
// POST application/timestamp-query).
type TSAClient struct {
	URL    string
	Client *http.Client // default: a client with a 30 s timeout
}

// maxTSAResponse bounds what a timestamp authority may send back.
const maxTSAResponse = 1 << 20

// Timestamp requests a timestamp over sha256(signature) and checks the
// response is a granted timestamp of exactly that digest.
func (c *TSAClient) Timestamp(ctx context.Context, sig []byte) ([]byte, error) {
	req, err := timestamp.CreateRequest(bytes.NewReader(sig), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true})
	if err != nil {
		return nil, fmt.Errorf("%w: %w: request: %w", ErrOperational, ErrTimestamp, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("%w: %w: --timestamp-server %q: %w", ErrBadInput, ErrTimestamp, c.URL, err)
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: %w", ErrOperational, ErrTimestamp, c.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: %w", ErrOperational, ErrTimestamp, c.URL, err)
	}
	if resp.StatusCode != http.StatusOK || len(body) > maxTSAResponse {
		return nil, fmt.Errorf("%w: %w: %s: HTTP %s", ErrOperational, ErrTimestamp, c.URL, resp.Status)
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %s: bad response: %w", ErrOperational, ErrTimestamp, c.URL, err)
	}
	want := sha256.Sum256(sig)
	if ts.HashAlgorithm != crypto.SHA256 || !bytes.Equal(ts.HashedMessage, want[:]) {
		return nil, fmt.Errorf("%w: %w: %s: the timestamp is over another message", ErrOperational, ErrTimestamp, c.URL)
	}
	return body, nil
}
