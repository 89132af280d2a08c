package pipeline

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// Exec cache detection. The Dagger CLI exports the engine's spans to an
// OTLP endpoint named by OTEL_EXPORTER_OTLP_ENDPOINT. pinline points the
// session's CLI at an in-process receiver on 127.0.0.1 and sends each
// task's evaluation with its own W3C trace id, so the task's spans are the
// spans of that trace. The engine marks an operation it did not run because
// its result was cached with dagger.io/dag.cached=true. Spans are read in
// memory for that one fact and never stored: they can carry commands and
// environment.

// Span attributes pinline reads (dagger.io/dagger/telemetry).
const (
	attrCached    = "dagger.io/dag.cached"
	attrInputs    = "dagger.io/dag.inputs"
	attrOutput    = "dagger.io/dag.output"
	attrEffectIDs = "dagger.io/effect.ids"
	attrEffectID  = "dagger.io/effect.id"
)

// maxOTLPBody bounds one export request.
const maxOTLPBody = 64 << 20

// span is what pinline keeps of an exported span.
type span struct {
	name      string
	inputs    []string
	output    string
	effectIDs []string
	effectID  string
	cached    bool
}

// spanSink is an OTLP/HTTP (protobuf) trace receiver on loopback. Only the
// session's CLI knows its token: other local processes cannot feed it spans.
type spanSink struct {
	ln    net.Listener
	srv   *http.Server
	token string

	mu     sync.Mutex
	traces map[trace.TraceID][]span
	// seen is when spans of each trace last arrived (a call child's sign
	// of life, see callWatch).
	seen map[trace.TraceID]time.Time
	// children are the tokens of call children (childEnv), each with the
	// time (unix nanoseconds) of its last export of any signal.
	children map[string]*atomic.Int64

	// liveMu guards live and serialises the Output calls.
	liveMu sync.Mutex
	// live are the traces of running tasks whose output is delivered as
	// it is exported (Options.Output).
	live map[trace.TraceID]*liveTask
}

// childEnv is Env with a token of the child's own: every export the child
// makes (traces, logs, metrics) is then a sign of its life, stored in
// last. forget removes the token once the child is gone.
func (s *spanSink) childEnv() (env []string, last *atomic.Int64, forget func(), err error) {
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, nil, nil, err
	}
	t := hex.EncodeToString(tok[:])
	last = &atomic.Int64{}
	s.mu.Lock()
	s.children[t] = last
	s.mu.Unlock()
	forget = func() {
		s.mu.Lock()
		delete(s.children, t)
		s.mu.Unlock()
	}
	return s.envWith(t), last, forget, nil
}

// lastSeen is when spans of tid last arrived (zero: never).
func (s *spanSink) lastSeen(tid trace.TraceID) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[tid]
}

func newSpanSink() (*spanSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		ln.Close()
		return nil, err
	}
	s := &spanSink{ln: ln, token: hex.EncodeToString(tok[:]), traces: map[trace.TraceID][]span{}, seen: map[trace.TraceID]time.Time{},
		children: map[string]*atomic.Int64{}, live: map[trace.TraceID]*liveTask{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", s.handleTraces)
	// Metrics may be exported too; they are read and dropped. Logs are
	// read for the live output of tasks (live.go), else dropped.
	discard := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxOTLPBody))
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	mux.HandleFunc("POST /v1/logs", s.handleLogs)
	mux.HandleFunc("POST /v1/metrics", discard)
	s.srv = &http.Server{Handler: s.authorized(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// tokenHeader carries the sink's token on every export.
const tokenHeader = "X-Pinline-Otlp-Token"

// Env is the environment that makes the Dagger CLI export to the sink.
func (s *spanSink) Env() []string { return s.envWith(s.token) }

func (s *spanSink) envWith(token string) []string {
	return []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + s.ln.Addr().String(),
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_EXPORTER_OTLP_HEADERS=" + strings.ToLower(tokenHeader) + "=" + token,
	}
}

// authorized refuses requests without the sink's token.
func (s *spanSink) authorized(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get(tokenHeader))
		if subtle.ConstantTimeCompare(got, []byte(s.token)) != 1 {
			var child *atomic.Int64
			s.mu.Lock()
			for t, last := range s.children {
				if subtle.ConstantTimeCompare(got, []byte(t)) == 1 {
					child = last
				}
			}
			s.mu.Unlock()
			if child == nil {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			child.Store(time.Now().UnixNano())
		}
		h.ServeHTTP(w, r)
	})
}

// readOTLP reads an export request's body (gzip or not, bounded).
func readOTLP(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	var in io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return nil, false
		}
		defer zr.Close()
		in = zr
	}
	body, err := io.ReadAll(io.LimitReader(in, maxOTLPBody+1))
	if err != nil || len(body) > maxOTLPBody {
		http.Error(w, "bad request", http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

func (s *spanSink) handleTraces(w http.ResponseWriter, r *http.Request) {
	body, ok := readOTLP(w, r)
	if !ok {
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.add(&req)
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// add keeps the spans of traces that a task opened (all others are the
// CLI's own and are dropped).
func (s *spanSink) add(req *coltrace.ExportTraceServiceRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				var tid trace.TraceID
				if len(sp.GetTraceId()) != len(tid) {
					continue
				}
				copy(tid[:], sp.GetTraceId())
				if _, ok := s.traces[tid]; !ok {
					continue
				}
				s.traces[tid] = append(s.traces[tid], spanOf(sp.GetName(), sp.GetAttributes()))
				s.seen[tid] = time.Now()
			}
		}
	}
}

func spanOf(name string, attrs []*common.KeyValue) span {
	sp := span{name: name}
	for _, a := range attrs {
		v := a.GetValue()
		switch a.GetKey() {
		case attrCached:
			sp.cached = v.GetBoolValue()
		case attrInputs:
			sp.inputs = stringList(v)
		case attrOutput:
			sp.output = v.GetStringValue()
		case attrEffectIDs:
			sp.effectIDs = stringList(v)
		case attrEffectID:
			sp.effectID = v.GetStringValue()
		}
	}
	return sp
}

func stringList(v *common.AnyValue) []string {
	var out []string
	for _, e := range v.GetArrayValue().GetValues() {
		out = append(out, e.GetStringValue())
	}
	return out
}

// newTrace registers a fresh trace id and returns ctx carrying it: GraphQL
// requests made with the context are parented in that trace.
func (s *spanSink) newTrace(ctx context.Context) (context.Context, trace.TraceID, error) {
	var tid trace.TraceID
	var sid trace.SpanID
	if _, err := rand.Read(tid[:]); err != nil {
		return ctx, tid, err
	}
	if _, err := rand.Read(sid[:]); err != nil {
		return ctx, tid, err
	}
	s.mu.Lock()
	s.traces[tid] = nil
	s.mu.Unlock()
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	return trace.ContextWithSpanContext(ctx, sc), tid, nil
}

// execCached reports whether the engine served a task's own exec from its
// cache. The task's withExec is the one whose result nothing else in the
// trace consumed (the task's sync took it); its effects are the buildkit
// operations that carried it out, and each says whether it was cached. ok
// is false when the spans needed to tell are missing (telemetry is best
// effort, and an exec evaluated earlier in the session has no operation
// span of its own).
func (s *spanSink) execCached(tid trace.TraceID) (cached, ok bool) {
	s.mu.Lock()
	spans := s.traces[tid]
	s.mu.Unlock()
	consumed := map[string]bool{}
	for _, sp := range spans {
		for _, in := range sp.inputs {
			consumed[in] = true
		}
	}
	effects := map[string]bool{}
	for _, sp := range spans {
		if sp.name == "Container.withExec" && sp.output != "" && !consumed[sp.output] {
			for _, e := range sp.effectIDs {
				effects[e] = true
			}
		}
	}
	seen := false
	for _, sp := range spans {
		if sp.effectID != "" && effects[sp.effectID] {
			seen = true
			if !sp.cached {
				return false, true
			}
		}
	}
	return seen, seen
}

// Close stops the receiver.
func (s *spanSink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// injectTrace adds the W3C traceparent of the request's context, if any.
func injectTrace(r *http.Request) {
	if trace.SpanContextFromContext(r.Context()).IsValid() {
		propagation.TraceContext{}.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
	}
}
