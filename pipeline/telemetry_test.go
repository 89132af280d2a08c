package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	tracev1 "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func str(k, v string) *common.KeyValue {
	return &common.KeyValue{Key: k, Value: &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: v}}}
}

func strs(k string, vs ...string) *common.KeyValue {
	arr := &common.ArrayValue{}
	for _, v := range vs {
		arr.Values = append(arr.Values, &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: v}})
	}
	return &common.KeyValue{Key: k, Value: &common.AnyValue{Value: &common.AnyValue_ArrayValue{ArrayValue: arr}}}
}

func boolean(k string, v bool) *common.KeyValue {
	return &common.KeyValue{Key: k, Value: &common.AnyValue{Value: &common.AnyValue_BoolValue{BoolValue: v}}}
}

// chain is the spans of one task evaluation as the engine exports them:
// from → withExec (the parent task's, consumed) → withExec (the task's),
// and the buildkit operations of both execs.
func chain(tid trace.TraceID, parentCached, ownCached []bool) []*tracev1.Span {
	sp := func(name string, attrs ...*common.KeyValue) *tracev1.Span {
		return &tracev1.Span{TraceId: tid[:], Name: name, Attributes: attrs}
	}
	out := []*tracev1.Span{
		sp("Container.from", strs(attrInputs, "xxh3:c"), str(attrOutput, "xxh3:f")),
		sp("Container.withExec", strs(attrInputs, "xxh3:f"), str(attrOutput, "xxh3:p"), strs(attrEffectIDs, "sha256:parent")),
		sp("Container.withExec", strs(attrInputs, "xxh3:p"), str(attrOutput, "xxh3:own"), strs(attrEffectIDs, "sha256:own")),
	}
	for _, c := range parentCached {
		out = append(out, sp("dagop.ctr Container.withExec", str(attrEffectID, "sha256:parent"), boolean(attrCached, c)))
	}
	for _, c := range ownCached {
		out = append(out, sp("dagop.ctr Container.withExec", str(attrEffectID, "sha256:own"), boolean(attrCached, c)))
	}
	return out
}

func post(t *testing.T, s *spanSink, path string, body []byte) int {
	t.Helper()
	return postToken(t, s, path, body, s.token)
}

func postToken(t *testing.T, s *spanSink, path string, body []byte, token string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+s.ln.Addr().String()+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	if token != "" {
		req.Header.Set(tokenHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestSpanSinkExecCached(t *testing.T) {
	t.Parallel()
	s, err := newSpanSink()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if env := strings.Join(s.Env(), " "); !strings.Contains(env, "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:") || !strings.Contains(env, "http/protobuf") ||
		!strings.Contains(env, "OTEL_EXPORTER_OTLP_HEADERS=x-pinline-otlp-token="+s.token) {
		t.Fatalf("env %q", env)
	}
	tests := []struct {
		name               string
		parent, own        []bool
		wantCached, wantOK bool
	}{
		{"ran", []bool{true}, []bool{false, false}, false, true},
		{"served from cache", []bool{false}, []bool{true, true}, true, true},
		{"one operation ran", nil, []bool{true, false}, false, true},
		{"parent's cache state does not count", []bool{false}, []bool{true}, true, true},
		{"no operation spans: unknown", []bool{true}, nil, false, false},
	}
	var spans []*tracev1.Span
	ids := map[string]trace.TraceID{}
	for _, tc := range tests {
		_, tid, err := s.newTrace(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ids[tc.name] = tid
		spans = append(spans, chain(tid, tc.parent, tc.own)...)
	}
	// Spans of traces no task opened (the CLI's own) are dropped.
	var foreign trace.TraceID
	foreign[0] = 1
	spans = append(spans, chain(foreign, nil, []bool{true})...)
	body, _ := proto.Marshal(&coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracev1.ResourceSpans{{ScopeSpans: []*tracev1.ScopeSpans{{Spans: spans}}}}})
	// Only the session's CLI knows the token: without it, or with another,
	// nothing is taken.
	for _, tok := range []string{"", "0123"} {
		if code := postToken(t, s, "/v1/traces", body, tok); code != http.StatusUnauthorized {
			t.Errorf("export with token %q: HTTP %d, want 401", tok, code)
		}
	}
	if cached, ok := s.execCached(ids["ran"]); ok || cached {
		t.Fatal("spans posted without the token were kept")
	}
	if code := post(t, s, "/v1/traces", body); code != http.StatusOK {
		t.Fatalf("export: HTTP %d", code)
	}
	for _, tc := range tests {
		cached, ok := s.execCached(ids[tc.name])
		if cached != tc.wantCached || ok != tc.wantOK {
			t.Errorf("%s: execCached = %v, %v; want %v, %v", tc.name, cached, ok, tc.wantCached, tc.wantOK)
		}
	}
	s.mu.Lock()
	_, kept := s.traces[foreign]
	s.mu.Unlock()
	if kept {
		t.Error("kept spans of a trace no task opened")
	}
	// A gzip-compressed export (OTEL_EXPORTER_OTLP_COMPRESSION=gzip) is read too.
	_, gzTrace, _ := s.newTrace(context.Background())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	b2, _ := proto.Marshal(&coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracev1.ResourceSpans{{ScopeSpans: []*tracev1.ScopeSpans{{Spans: chain(gzTrace, nil, []bool{true})}}}}})
	_, _ = zw.Write(b2)
	_ = zw.Close()
	req, _ := http.NewRequest("POST", "http://"+s.ln.Addr().String()+"/v1/traces", &gz)
	req.Header.Set(tokenHeader, s.token)
	req.Header.Set("Content-Encoding", "gzip")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("gzip export: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if cached, ok := s.execCached(gzTrace); !ok || !cached {
		t.Errorf("gzip export: execCached = %v, %v; want true, true", cached, ok)
	}
	if code := post(t, s, "/v1/traces", []byte("\xff\xff not protobuf")); code != http.StatusBadRequest {
		t.Errorf("malformed export: HTTP %d, want 400", code)
	}
	if code := post(t, s, "/v1/logs", []byte("anything")); code != http.StatusOK {
		t.Errorf("logs export: HTTP %d, want 200 (dropped)", code)
	}
}

func TestInjectTrace(t *testing.T) {
	t.Parallel()
	s, err := newSpanSink()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, tid, err := s.newTrace(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequestWithContext(ctx, "POST", "http://x/query", nil)
	injectTrace(r)
	if tp := r.Header.Get("traceparent"); !strings.HasPrefix(tp, "00-"+tid.String()+"-") {
		t.Errorf("traceparent %q does not carry trace %s", tp, tid)
	}
	plain, _ := http.NewRequest("POST", "http://x/query", nil)
	injectTrace(plain)
	if tp := plain.Header.Get("traceparent"); tp != "" {
		t.Errorf("traceparent %q without a task trace", tp)
	}
}

// A call child's own receiver token: its exports of any signal are
// accepted and time-stamped; once forgotten, the token is refused.
func TestSpanSinkChildToken(t *testing.T) {
	t.Parallel()
	s, err := newSpanSink()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env, last, forget, err := s.childEnv()
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "OTEL_EXPORTER_OTLP_HEADERS="+strings.ToLower(tokenHeader)+"="); ok {
			token = v
		}
	}
	if token == "" || token == s.token {
		t.Fatalf("child env %q has no token of its own", env)
	}
	if last.Load() != 0 {
		t.Fatal("activity before any export")
	}
	if code := postToken(t, s, "/v1/metrics", nil, token); code != http.StatusOK {
		t.Fatalf("child export: HTTP %d", code)
	}
	if last.Load() == 0 {
		t.Error("the child's export left no sign of life")
	}
	if code := postToken(t, s, "/v1/metrics", nil, "0123"+token[4:]); code != http.StatusUnauthorized {
		t.Errorf("another token: HTTP %d", code)
	}
	forget()
	if code := postToken(t, s, "/v1/metrics", nil, token); code != http.StatusUnauthorized {
		t.Errorf("forgotten token: HTTP %d", code)
	}
}
