package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/record"
)

// Client talks to `pinline serve`. It holds a client certificate and
// nothing else: no key, no secret.
type Client struct {
	// Base is https://host:port.
	Base string
	HTTP *http.Client
}

// NewClient returns a client of base presenting the certificate of tc.
func NewClient(base string, tc *tls.Config) (*Client, error) {
	if err := CheckServerURL(base); err != nil {
		return nil, err
	}
	tc = tc.Clone()
	tc.NextProtos = nil
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true, TLSHandshakeTimeout: 20 * time.Second}
	return &Client{Base: strings.TrimSuffix(base, "/"), HTTP: &http.Client{Transport: tr}}, nil
}

// CheckServerURL checks a server URL: https://host:port (bad input
// otherwise).
func CheckServerURL(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" {
		return errclass.Wrap(errclass.ErrBadInput, fmt.Errorf("--server %q: want https://host:port", base))
	}
	return nil
}

// APIError is a refusal from the server.
type APIError struct {
	Status int
	Body   ErrorBody
}

func (e *APIError) Error() string {
	return fmt.Sprintf("server refused (%d %s): %s", e.Status, e.Body.Reason, e.Body.Error)
}

// Is classes a 4xx answer as bad input (403: denied) and anything else
// as operational.
func (e *APIError) Is(target error) bool {
	switch {
	case e.Status == http.StatusForbidden:
		return target == errclass.ErrDenied
	case e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests:
		return target == errclass.ErrBadInput
	}
	return target == errclass.ErrOperational
}

func (c *Client) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, errclass.Wrap(errclass.ErrOperational, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		e := &APIError{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &e.Body) != nil {
			e.Body.Error = strings.TrimSpace(string(b))
		}
		return nil, e
	}
	return resp, nil
}

func (c *Client) getJSON(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out); err != nil {
		return errclass.Wrap(errclass.ErrOperational, fmt.Errorf("%s %s: %w", method, path, err))
	}
	return nil
}

// Submit submits a run.
func (c *Client) Submit(ctx context.Context, req *SubmitRequest) (*RunStatus, error) {
	var st RunStatus
	if err := c.getJSON(ctx, http.MethodPost, "/v1/runs", req, &st); err != nil {
		return nil, err
	}
	if !record.ValidRunID(st.ID) {
		return nil, errclass.Wrap(errclass.ErrOperational, fmt.Errorf("server answered run id %q", st.ID))
	}
	return &st, nil
}

// Status returns a run's status.
func (c *Client) Status(ctx context.Context, id string) (*RunStatus, error) {
	var st RunStatus
	return &st, c.getJSON(ctx, http.MethodGet, "/v1/runs/"+url.PathEscape(id), nil, &st)
}

// Cancel cancels a run.
func (c *Client) Cancel(ctx context.Context, id string) (*RunStatus, error) {
	var st RunStatus
	return &st, c.getJSON(ctx, http.MethodPost, "/v1/runs/"+url.PathEscape(id)+"/cancel", nil, &st)
}

// List lists every run the filters match (repository, tier, state,
// since; limit sets the page size), following the pages. The server
// checks the filters.
func (c *Client) List(ctx context.Context, filters url.Values) ([]RunStatus, error) {
	q := url.Values{}
	for k, v := range filters {
		q[k] = slices.Clone(v)
	}
	var all []RunStatus
	for page := 0; ; page++ {
		l, err := c.list(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, l.Runs...)
		if l.NextCursor == "" {
			return all, nil
		}
		if page >= 100_000 {
			return nil, errclass.Wrap(errclass.ErrOperational, errors.New("list: the server keeps returning pages"))
		}
		q.Set("cursor", l.NextCursor)
	}
}

// ListPage fetches one page of runs.
func (c *Client) ListPage(ctx context.Context, f *ListFilter) (*RunList, error) {
	return c.list(ctx, f.Values())
}

func (c *Client) list(ctx context.Context, q url.Values) (*RunList, error) {
	var out RunList
	p := "/v1/runs"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return &out, c.getJSON(ctx, http.MethodGet, p, nil, &out)
}

// Events streams a run's events to fn until its done event, which it
// returns.
func (c *Client) Events(ctx context.Context, id string, fn func(Event)) (*RunStatus, error) {
	since := 0
	for attempt := 0; ; attempt++ {
		resp, err := c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/runs/%s/events?since=%d", url.PathEscape(id), since), nil)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 8<<20)
		for sc.Scan() {
			var e Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				resp.Body.Close()
				return nil, errclass.Wrap(errclass.ErrOperational, fmt.Errorf("event stream: %w", err))
			}
			since = e.Seq
			if fn != nil {
				fn(e)
			}
			if e.Type == "done" && e.Run != nil {
				resp.Body.Close()
				return e.Run, nil
			}
		}
		resp.Body.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if attempt >= 5 {
			return nil, errclass.Wrap(errclass.ErrOperational, fmt.Errorf("event stream of run %s ended without its done event", id))
		}
		time.Sleep(time.Second)
	}
}

// Download fetches every file of a finished run into dir/<id>/ (the
// `.pinline/runs/<id>/` layout), checking each file's SHA-256 against the
// listing. Paths are checked and written through an os.Root: a hostile
// server cannot write outside the run directory.
func (c *Client) Download(ctx context.Context, id, dir string) (string, error) {
	if !record.ValidRunID(id) {
		return "", fmt.Errorf("run id %q", id)
	}
	var list struct {
		Files []FileEntry `json:"files"`
	}
	if err := c.getJSON(ctx, http.MethodGet, "/v1/runs/"+id+"/files", nil, &list); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, id)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", errclass.Wrap(errclass.ErrOperational, err)
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return "", errclass.Wrap(errclass.ErrOperational, err)
	}
	defer root.Close()
	for _, f := range list.Files {
		if !validFilePath(f.Path) {
			return "", errclass.Wrap(errclass.ErrOperational, fmt.Errorf("server listed file %q", f.Path))
		}
		if err := c.downloadFile(ctx, id, root, f); err != nil {
			return "", err
		}
	}
	return dst, nil
}

func (c *Client) downloadFile(ctx context.Context, id string, root *os.Root, f FileEntry) error {
	esc := make([]string, 0, 4)
	for _, seg := range strings.Split(f.Path, "/") {
		esc = append(esc, url.PathEscape(seg))
	}
	resp, err := c.do(ctx, http.MethodGet, "/v1/runs/"+id+"/files/"+strings.Join(esc, "/"), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if d := filepath.Dir(filepath.FromSlash(f.Path)); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return errclass.Wrap(errclass.ErrOperational, err)
		}
	}
	tmp := f.Path + ".part"
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return errclass.Wrap(errclass.ErrOperational, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(resp.Body, f.Size+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && (n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256) {
		err = fmt.Errorf("%s: downloaded %d bytes with another digest than the listing's", f.Path, n)
	}
	if err != nil {
		_ = root.Remove(tmp)
		return errclass.Wrap(errclass.ErrOperational, err)
	}
	return root.Rename(tmp, f.Path)
}
