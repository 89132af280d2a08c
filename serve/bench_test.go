package serve

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/internal/testimage"
)

// benchSpec is bench/exec.sh's pipeline (gen; sum from gen; lint in
// parallel; one output), the one bench/exec/bare runs with the bare SDK.
func benchSpec(image, nonce string) string {
	return fmt.Sprintf(`version: 1
name: bench
images:
  bb: %s
defaultImage: bb
concurrency: 2
tasks:
  gen:
    env: {N: "%s"}
    sh: 'mkdir -p /o && echo "$N" > /o/data && seq 1 20000 >> /o/data'
  sum:
    from: gen
    sh: 'sha256sum /o/data'
    outputs: [{path: /o/data}]
  lint:
    env: {N: "%s"}
    sh: 'echo "lint $N"; seq 1 5000 | wc -l'
`, image, nonce, nonce)
}

type benchEnv struct {
	env  *servetest.Env
	ts   *testServer
	img  string
	bare string
	sock string
	cli  string
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	vals := testenv.RequireAll(b, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	env := servetest.New(b)
	be := &benchEnv{env: env, img: testimage.Busybox(b), sock: vals["PINLINE_GW_TRUSTED_SOCK"], cli: vals["PINLINE_GW_DAGGER_CLI"]}
	be.ts = startServerB(b, env, be.cli, be.sock, vals["PINLINE_GW_UNTRUSTED_SOCK"])
	be.bare = filepath.Join(b.TempDir(), "bare")
	if out, err := exec.Command("go", "build", "-o", be.bare, "../bench/exec/bare").CombinedOutput(); err != nil {
		b.Fatalf("build bare: %v\n%s", err, out)
	}
	return be
}

func median(xs []time.Duration) time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkServeVsBare: a server-side run (gate, execute, SBOM, sign with
// the tier key, record; the server's started→finished) against the same
// pipeline as a bare Dagger SDK program (a whole process: connect, run,
// export), alternating, on the same warm engine, a fresh nonce (and
// commit) per iteration so the engine really executes.
func BenchmarkServeVsBare(b *testing.B) {
	be := newBenchEnv(b)
	ctx := context.Background()
	run := func(nonce string) (time.Duration, time.Duration) {
		url, commit := be.env.Repo(b, "bench", map[string]string{"pinline.yaml": benchSpec(be.img, nonce)})
		st, err := be.ts.release.Submit(ctx, &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"})
		if err != nil {
			b.Fatal(err)
		}
		fin, err := be.ts.release.Events(ctx, st.ID, nil)
		if err != nil || fin.State != StateSucceeded || !fin.Signed {
			b.Fatalf("run: %v %+v", err, fin)
		}
		server := fin.FinishedAt.Sub(fin.StartedAt)
		cmd := exec.Command(be.bare, "-image", be.img, "-nonce", "b"+nonce, "-out", filepath.Join(b.TempDir(), "data"))
		cmd.Env = append(os.Environ(), "_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://"+be.sock, "_EXPERIMENTAL_DAGGER_CLI_BIN="+be.cli)
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("bare: %v\n%s", err, out)
		}
		return server, time.Since(t0)
	}
	run(fmt.Sprint("warm-", time.Now().UnixNano())) // warm-up, not counted
	var srv, bare []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, r := run(fmt.Sprintf("%d-%d", time.Now().UnixNano(), i))
		srv, bare = append(srv, s), append(bare, r)
	}
	b.StopTimer()
	ms, mb := median(srv), median(bare)
	b.ReportMetric(float64(ms.Milliseconds()), "serve-ms")
	b.ReportMetric(float64(mb.Milliseconds()), "bare-ms")
	b.ReportMetric(float64(ms)/float64(mb), "ratio")
}

// BenchmarkSubmitCached: the client's round trip (submit, fetch, queue,
// run served from the engine's cache, sign, done event, download of
// every file) for a commit the engine has run before.
func BenchmarkSubmitCached(b *testing.B) {
	be := newBenchEnv(b)
	ctx := context.Background()
	url, commit := be.env.Repo(b, "cached", map[string]string{"pinline.yaml": benchSpec(be.img, "cached")})
	once := func() (time.Duration, time.Duration) {
		t0 := time.Now()
		st, err := be.ts.release.Submit(ctx, &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"})
		if err != nil {
			b.Fatal(err)
		}
		fin, err := be.ts.release.Events(ctx, st.ID, nil)
		if err != nil || fin.State != StateSucceeded {
			b.Fatalf("run: %v %+v", err, fin)
		}
		done := time.Since(t0)
		if _, err := be.ts.release.Download(ctx, st.ID, b.TempDir()); err != nil {
			b.Fatal(err)
		}
		return done, time.Since(t0)
	}
	once() // the engine's cache is warm from here on
	var dones, trips []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, r := once()
		dones, trips = append(dones, d), append(trips, r)
	}
	b.StopTimer()
	b.ReportMetric(float64(median(dones).Milliseconds()), "to-done-ms")
	b.ReportMetric(float64(median(trips).Milliseconds()), "round-trip-ms")
}
