package oci

import (
	"fmt"
	"io"
	"net/http"
)

// limitTransport refuses response bodies larger than max bytes: by
// Content-Length before reading, and by counting while reading.
type limitTransport struct {
	next http.RoundTripper
	max  int64
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s %s: response of %d bytes is over the limit of %d", ErrHostile, req.Method, req.URL.Path, resp.ContentLength, t.max)
	}
	resp.Body = &limitBody{rc: resp.Body, left: t.max, what: req.URL.Path}
	return resp, nil
}

type limitBody struct {
	rc   io.ReadCloser
	left int64
	what string
}

func (b *limitBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a larger one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: %s: response over the size limit", ErrHostile, b.what)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitBody) Close() error { return b.rc.Close() }
