package pipeline

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	logs "go.opentelemetry.io/proto/otlp/logs/v1"
)

func logsRequest(tid trace.TraceID, stream int64, bodies ...string) *collogs.ExportLogsServiceRequest {
	var recs []*logs.LogRecord
	for _, b := range bodies {
		recs = append(recs, &logs.LogRecord{TraceId: tid[:], Body: &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: b}},
			Attributes: []*common.KeyValue{{Key: attrStdioStream, Value: &common.AnyValue{Value: &common.AnyValue_IntValue{IntValue: stream}}}}})
	}
	return &collogs.ExportLogsServiceRequest{ResourceLogs: []*logs.ResourceLogs{{ScopeLogs: []*logs.ScopeLogs{{LogRecords: recs}}}}}
}

// TestLiveOutput: only whole lines of a registered trace are delivered,
// scrubbed, also when a secret is split across two records; a partial last
// line and anything after endLive are not; other traces are ignored.
func TestLiveOutput(t *testing.T) {
	s := &spanSink{live: map[trace.TraceID]*liveTask{}}
	red := &redactor{}
	red.add("s3cr3t-value")
	var got []string
	emit := func(task, stream, text string) { got = append(got, task+"/"+stream+":"+text) }
	tid, other := trace.TraceID{1}, trace.TraceID{2}
	s.startLive(tid, "build", red, emit)
	s.deliver(logsRequest(tid, 1, "one\ntok s3cr", "3t-value\ntwo", "\n"))
	s.deliver(logsRequest(other, 1, "elsewhere\n"))
	s.deliver(logsRequest(tid, 2, "warn\n", "tail s3c"))
	s.deliver(logsRequest(tid, 0, "no stream\n"))
	s.endLive(tid)
	s.deliver(logsRequest(tid, 2, "r3t-value\nlate\n"))
	want := []string{"build/stdout:one\ntok ***\ntwo\n", "build/stderr:warn\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("delivered %q, want %q", got, want)
	}
	for _, g := range got {
		if strings.Contains(g, "s3c") {
			t.Errorf("a secret (or part of one) was delivered: %q", g)
		}
	}
}
