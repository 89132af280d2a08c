package serve

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/record"
)

// Routes are the API's routes as registered (method and path pattern);
// docs/openapi.yaml describes exactly these (a test checks).
var Routes = []string{
	"POST /v1/runs",
	"GET /v1/runs",
	"GET /v1/runs/{id}",
	"GET /v1/runs/{id}/events",
	"POST /v1/runs/{id}/cancel",
	"GET /v1/runs/{id}/files",
	"GET /v1/runs/{id}/files/{path...}",
}

// reqInfo is what a handler tells the audit log about a request.
type reqInfo struct {
	cert      *x509.Certificate
	admitted  []engineconfig.Assignment
	tier      string
	runID     string
	reason    string
	detail    string
	statusRec *statusWriter
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type ctxKey struct{}

// Handler is the API. Identity comes only from the verified client
// certificate of the TLS connection; no header is ever read for it.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	h := map[string]http.HandlerFunc{
		Routes[0]: s.handleSubmit,
		Routes[1]: s.handleList,
		Routes[2]: s.handleStatus,
		Routes[3]: s.handleEvents,
		Routes[4]: s.handleCancel,
		Routes[5]: s.handleFiles,
		Routes[6]: s.handleFile,
	}
	for _, r := range Routes {
		mux.HandleFunc(r, h[r])
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := s.now()
		sw := &statusWriter{ResponseWriter: w}
		info := &reqInfo{statusRec: sw}
		defer func() {
			rec := &AuditRecord{Time: start.UTC(), Remote: req.RemoteAddr, Method: req.Method, Path: req.URL.Path,
				Tier: info.tier, RunID: info.runID, Status: sw.status, Reason: info.reason, Detail: info.detail,
				DurationMS: s.now().Sub(start).Milliseconds(), Outcome: "ok"}
			if sw.status >= 400 {
				rec.Outcome = "refused"
			}
			if c := info.cert; c != nil {
				rec.Subject = c.Subject.String()
				rec.Fingerprint = certFingerprint(c)
				rec.Identity = engineconfig.CertIdentity(c)
				if len(info.admitted) > 0 {
					rec.Identity = info.admitted[0].Identity
				}
			}
			if err := s.audit.write(rec); err != nil {
				fmt.Fprintf(s.opts.Log, "pinline serve: audit log: %v\n", err)
			}
		}()
		if err := s.audit.err(); err != nil {
			s.refuse(sw, info, http.StatusServiceUnavailable, "audit-log-broken", "the audit log cannot be written; the server refuses all requests")
			return
		}
		if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
			s.refuse(sw, info, http.StatusUnauthorized, engineconfig.ReasonNoClientCert, "a client certificate is required")
			return
		}
		info.cert = req.TLS.PeerCertificates[0]
		info.admitted = s.cfg.rules.Admitted(info.cert)
		if len(info.admitted) == 0 {
			s.refuse(sw, info, http.StatusForbidden, engineconfig.ReasonNoTier, "the certificate's identity is admitted to no tier")
			return
		}
		mux.ServeHTTP(sw, req.WithContext(context.WithValue(req.Context(), ctxKey{}, info)))
	})
}

func infoOf(r *http.Request) *reqInfo { return r.Context().Value(ctxKey{}).(*reqInfo) }

// refuse answers a 4xx/5xx with an ErrorBody and notes the reason.
func (s *Server) refuse(w http.ResponseWriter, info *reqInfo, code int, reason, msg string) {
	info.reason, info.detail = reason, msg
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(ErrorBody{Error: msg, Reason: reason})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func certFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// lookup finds a run the caller may see: an unknown id and a run of a
// tier the certificate is not admitted to are the same 404.
func (s *Server) lookup(w http.ResponseWriter, req *http.Request) *run {
	info := infoOf(req)
	id := req.PathValue("id")
	if !record.ValidRunID(id) {
		s.refuse(w, info, http.StatusBadRequest, "bad-run-id", fmt.Sprintf("%q is not a run id", id))
		return nil
	}
	info.runID = id
	s.mu.Lock()
	r := s.runs[id]
	s.mu.Unlock()
	if r == nil || !admittedTo(info, r.status.Tier) {
		s.refuse(w, info, http.StatusNotFound, "no-such-run", fmt.Sprintf("no run %s", id))
		return nil
	}
	info.tier = r.status.Tier
	return r
}

func admittedTo(info *reqInfo, tier string) bool {
	return slices.ContainsFunc(info.admitted, func(a engineconfig.Assignment) bool { return a.Tier.Name == tier })
}

func (s *Server) handleStatus(w http.ResponseWriter, req *http.Request) {
	r := s.lookup(w, req)
	if r == nil {
		return
	}
	s.mu.Lock()
	st := r.status
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleList(w http.ResponseWriter, req *http.Request) {
	info := infoOf(req)
	f, err := ParseListFilter(req.URL.Query())
	if err != nil {
		s.refuse(w, info, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	after := ""
	if f.Cursor != "" {
		after, _ = decodeCursor(f.Cursor)
	}
	out := []RunStatus{}
	s.mu.Lock()
	for _, r := range s.runs {
		st := r.status
		if admittedTo(info, st.Tier) && f.Match(&st) && st.ID > after {
			out = append(out, st)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b RunStatus) int { return strings.Compare(a.ID, b.ID) })
	page := RunList{Runs: out}
	if len(out) > f.Limit {
		page.Runs = out[:f.Limit]
		page.NextCursor = encodeCursor(out[f.Limit-1].ID)
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleCancel(w http.ResponseWriter, req *http.Request) {
	r := s.lookup(w, req)
	if r == nil {
		return
	}
	s.mu.Lock()
	if Final(r.status.State) {
		st := r.status.State
		s.mu.Unlock()
		s.refuse(w, infoOf(req), http.StatusConflict, "run-finished", fmt.Sprintf("run %s is already %s", r.status.ID, st))
		return
	}
	s.cancelRun(r)
	st := r.status
	s.mu.Unlock()
	writeJSON(w, http.StatusAccepted, st)
}

// handleEvents streams the run's events as JSON lines until its "done"
// event (from ?since=N: events after sequence number N).
func (s *Server) handleEvents(w http.ResponseWriter, req *http.Request) {
	r := s.lookup(w, req)
	if r == nil {
		return
	}
	from := 0
	if v := req.URL.Query().Get("since"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &from); err != nil || from < 0 || fmt.Sprint(from) != v {
			s.refuse(w, infoOf(req), http.StatusBadRequest, "bad-request", fmt.Sprintf("since: %q is not an event sequence number", v))
			return
		}
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	_ = s.streamEvents(req.Context(), r, from, func(e Event) error {
		if err := enc.Encode(e); err != nil {
			return err
		}
		if fl != nil {
			fl.Flush()
		}
		return nil
	})
}

// streamEvents passes r's events after sequence number from to write, in
// order, until the run's final event: the in-memory tail, and before it
// what only the store still has.
func (s *Server) streamEvents(ctx context.Context, r *run, from int, write func(Event) error) error {
	for {
		s.mu.Lock()
		batch, inMemory := r.after(from)
		final := Final(r.status.State) && from+len(batch) >= r.seq && inMemory
		ch := r.notify
		s.mu.Unlock()
		if !inMemory {
			var werr error
			last, err := s.storedEvents(r.status.ID, from, func(e Event) bool {
				werr = write(e)
				return werr == nil
			})
			if werr != nil {
				return werr
			}
			if err != nil || last == from {
				return fmt.Errorf("run %s: events after %d are neither in memory nor in the store: %v", r.status.ID, from, err)
			}
			from = last
			continue
		}
		for _, e := range batch {
			if err := write(e); err != nil {
				return err
			}
			from = e.Seq
		}
		if final {
			return nil
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
