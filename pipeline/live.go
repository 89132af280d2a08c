package pipeline

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/trace"
	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"
)

// Live task output. The Dagger CLI exports the engine's logs (the stdout
// and stderr of execs, attribute stdio.stream 1 or 2) to the same OTLP
// receiver as its spans, with the trace id of the task's evaluation. While
// a task runs, its trace is registered here and its log records are cut
// into whole lines, scrubbed and handed to Options.Output. A partial last
// line is never delivered: it could hold the first half of a secret whose
// rest arrives after the task ended.

// attrStdioStream is the stream of a log record (1 stdout, 2 stderr).
const attrStdioStream = "stdio.stream"

// maxLiveBytes bounds the live output of one task; logs/<task>.log has
// the rest.
const maxLiveBytes = 1 << 20

type liveTask struct {
	task    string
	red     *redactor
	emit    func(task, stream, text string)
	partial [3]strings.Builder
	sent    int
	capped  bool
}

// LogsEnv is the environment that makes the Dagger CLI export the
// engine's logs to the sink too (it sends logs only to an explicit logs
// endpoint).
func (s *spanSink) LogsEnv() []string {
	return []string{
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=http://" + s.ln.Addr().String() + "/v1/logs",
		"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/protobuf",
	}
}

// startLive delivers the output exported in trace tid as task's.
func (s *spanSink) startLive(tid trace.TraceID, task string, red *redactor, emit func(task, stream, text string)) {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	s.live[tid] = &liveTask{task: task, red: red, emit: emit}
}

// endLive stops the delivery for tid; what arrives later is dropped.
func (s *spanSink) endLive(tid trace.TraceID) {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	delete(s.live, tid)
}

func (s *spanSink) handleLogs(w http.ResponseWriter, r *http.Request) {
	body, ok := readOTLP(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	s.liveMu.Lock()
	idle := len(s.live) == 0
	s.liveMu.Unlock()
	if idle {
		return
	}
	var req collogs.ExportLogsServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.deliver(&req)
	out, _ := proto.Marshal(&collogs.ExportLogsServiceResponse{})
	_, _ = w.Write(out)
}

// deliver hands the whole lines of the registered traces' records to
// their tasks' Output, one call per task and stream and request.
func (s *spanSink) deliver(req *collogs.ExportLogsServiceRequest) {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	type key struct {
		lt     *liveTask
		stream int
	}
	var order []key
	lines := map[key]*strings.Builder{}
	for _, rl := range req.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			for _, lr := range sl.GetLogRecords() {
				var tid trace.TraceID
				if len(lr.GetTraceId()) != len(tid) {
					continue
				}
				copy(tid[:], lr.GetTraceId())
				lt := s.live[tid]
				if lt == nil || lt.capped {
					continue
				}
				stream := 0
				for _, a := range lr.GetAttributes() {
					if a.GetKey() == attrStdioStream {
						stream = int(a.GetValue().GetIntValue())
					}
				}
				if stream != 1 && stream != 2 {
					continue
				}
				text := lr.GetBody().GetStringValue()
				if text == "" {
					text = string(lr.GetBody().GetBytesValue())
				}
				p := &lt.partial[stream]
				p.WriteString(text)
				buf := p.String()
				i := strings.LastIndexByte(buf, '\n')
				if i < 0 {
					continue
				}
				p.Reset()
				p.WriteString(buf[i+1:])
				k := key{lt, stream}
				if lines[k] == nil {
					lines[k] = &strings.Builder{}
					order = append(order, k)
				}
				lines[k].WriteString(buf[:i+1])
			}
		}
	}
	for _, k := range order {
		text := k.lt.red.scrub(lines[k].String())
		if k.lt.sent+len(text) > maxLiveBytes {
			k.lt.capped = true
			text = "[live output truncated; the task's log has the rest]\n"
		}
		k.lt.sent += len(text)
		k.lt.emit(k.lt.task, []string{"", "stdout", "stderr"}[k.stream], text)
	}
}
