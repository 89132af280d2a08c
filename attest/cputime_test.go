package attest

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. Benchmarks report
// operations per CPU second next to wall-clock rates, because the shared
// build machine is often oversubscribed and wall time then measures the
// queue, not the code.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkECDSAVerifyFloor(b *testing.B) {
	k := newTestKey(b, "floor")
	msg := PAE(PayloadTypeInToto, []byte("x"))
	sig, err := k.Sign(b.Context(), msg)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c0 := cpuTime(b)
	for i := 0; i < b.N; i++ {
		if err := k.verifier.Verify(b.Context(), msg, sig); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/(cpuTime(b)-c0).Seconds(), "verifies/cpu-s")
}
