package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/internal/testimage"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/serve"
)

const (
	svcReleaseBuilder = "https://pinline.test/builders/release"
	svcPRBuilder      = "https://pinline.test/builders/pr"
)

// serveEngines are the gateway test engines (hack/setup.d/50-gateway-engines.sh),
// one per tier: gw-trusted serves tier release, gw-untrusted tier pr.
type serveEngines struct{ release, pr, cli, cosign string }

func needServeEngines(t *testing.T) serveEngines {
	t.Helper()
	env := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh", "PINLINE_GW_TRUSTED_SOCK", "PINLINE_GW_UNTRUSTED_SOCK", "PINLINE_GW_DAGGER_CLI")
	return serveEngines{release: env["PINLINE_GW_TRUSTED_SOCK"], pr: env["PINLINE_GW_UNTRUSTED_SOCK"], cli: env["PINLINE_GW_DAGGER_CLI"],
		cosign: testenv.Require(t, "PINLINE_COSIGN_BIN", "hack/setup.d/10-tools.sh")}
}

// serveProc is `pinline serve` running as a real subprocess.
type serveProc struct {
	cmd    *exec.Cmd
	base   string
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan error
}

var listenLine = regexp.MustCompile(`listening on (https://\S+)`)

func startServe(t *testing.T, cfg string, extraEnv ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "NO_COLOR=1"}, extraEnv...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	p := &serveProc{cmd: cmd, exited: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	go func() { err := cmd.Wait(); pw.Close(); p.exited <- err }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.base = <-addr:
	case err := <-p.exited:
		t.Fatalf("pinline serve exited: %v\n%s", err, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("pinline serve did not start:\n%s", p.log())
	}
	return p
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// serveFixture is a server with release and pr tiers on the two engines.
type serveFixture struct {
	env      *servetest.Env
	eng      serveEngines
	cfg      string
	store    string
	image    string
	releaseJ string // --tls-config of the release client
	prJ      string
}

func newServeFixture(t *testing.T, relConc, prConc int) *serveFixture {
	t.Helper()
	eng := needServeEngines(t)
	env := servetest.New(t)
	f := &serveFixture{env: env, eng: eng, image: testimage.Busybox(t)}
	f.cfg = env.Config(t, eng.cli,
		servetest.Tier{Name: "release", Rank: 10, BuilderID: svcReleaseBuilder, Identity: "spiffe://pinline.test/ci/main/", Engine: eng.release, Concurrency: relConc},
		servetest.Tier{Name: "pr", Rank: 1, BuilderID: svcPRBuilder, Identity: "spiffe://pinline.test/ci/pr/", Engine: eng.pr, Concurrency: prConc})
	f.store = filepath.Join(env.Dir, "store")
	c, k := env.Client(t, "ci-main", "spiffe://pinline.test/ci/main/app")
	f.releaseJ = env.TLSConfigFile(t, "release-client", c, k)
	c, k = env.Client(t, "ci-pr", "spiffe://pinline.test/ci/pr/7")
	f.prJ = env.TLSConfigFile(t, "pr-client", c, k)
	return f
}

// client is the Go client with tls file tlsJSON's certificate.
func (f *serveFixture) client(t *testing.T, base, name string) *serve.Client {
	t.Helper()
	cert, key := filepath.Join(f.env.Dir, name+".crt"), filepath.Join(f.env.Dir, name+".key")
	c, err := serve.NewClient(base, f.env.ClientTLS(t, cert, key))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// submitProc runs `pinline submit` in dir with a minimal environment (no
// key, no password) and, while it runs, samples its environment and open
// files: they must never name key material.
func submitProc(t *testing.T, dir string, keys []servetest.Key, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"submit"}, args...)...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var leaks []string
	samples := 0
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var err error
loop:
	for {
		select {
		case err = <-done:
			break loop
		case <-tick.C:
			pid := cmd.Process.Pid
			environ, e1 := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
			fds, e2 := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
			if e1 != nil || e2 != nil {
				continue
			}
			samples++
			for _, k := range keys {
				if bytes.Contains(environ, []byte(k.Password)) || bytes.Contains(environ, []byte("COSIGN")) {
					leaks = append(leaks, "environment holds key material")
				}
			}
			for _, fd := range fds {
				target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
				for _, k := range keys {
					if target == k.Private || target == k.PasswordFile {
						leaks = append(leaks, "open file "+target)
					}
				}
			}
		}
	}
	if samples == 0 {
		t.Errorf("the submit process was never sampled")
	}
	if len(leaks) > 0 {
		t.Errorf("the submitting process held key material: %v", leaks)
	}
	r := result{stdout: out.String(), stderr: errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

var runIDLine = regexp.MustCompile(`run (\S+) submitted`)

func runIDOf(t *testing.T, r result) string {
	t.Helper()
	m := runIDLine.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no run id in:\n%s", r.stderr)
	}
	return m[1]
}

type provStatement struct {
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate struct {
		BuildDefinition struct {
			ExternalParameters   map[string]any `json:"externalParameters"`
			InternalParameters   map[string]any `json:"internalParameters"`
			ResolvedDependencies []struct {
				Name   string            `json:"name"`
				URI    string            `json:"uri"`
				Digest map[string]string `json:"digest"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
			Metadata struct {
				InvocationID string `json:"invocationId"`
			} `json:"metadata"`
		} `json:"runDetails"`
	} `json:"predicate"`
}

func readProv(t *testing.T, path string) provStatement {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Payload []byte `json:"payload"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	var st provStatement
	if err := json.Unmarshal(env.Payload, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestServeTiersSignAndVerify: a release-tier client and a pull-request
// client submit the same commit with `pinline submit`; each run executes
// on its tier's engine, is signed by the server with its tier's key and
// downloaded into .pinline/runs/<id>/; pinline verify --builder-id and
// cosign accept it with the tier's key and builder id and refuse the other
// tier's; the provenance states exactly the submission; pinline runs and
// report work on the downloads (L3 met); the submitting processes never
// held key material.
func TestServeTiersSignAndVerify(t *testing.T) {
	f := newServeFixture(t, 1, 1)
	srv := startServe(t, f.cfg)
	nonce := fmt.Sprint(time.Now().UnixNano())
	url, commit := f.env.Repo(t, "app", map[string]string{
		"pinline.yaml": fmt.Sprintf("version: 1\nname: svc\nimages:\n  bb: %s\ntasks:\n  build:\n    image: bb\n"+
			"    sh: mkdir -p /out && echo built %s > /out/hello && echo log-line-%s\n    outputs:\n      - {path: /out/hello}\n", f.image, nonce, nonce),
	})
	keys := []servetest.Key{f.env.Keys["release"], f.env.Keys["pr"]}
	type done struct {
		tier, builder, dir string
		key                servetest.Key
	}
	var runs []done
	for _, tc := range []struct {
		tier, tls, builder string
	}{{"release", f.releaseJ, svcReleaseBuilder}, {"pr", f.prJ, svcPRBuilder}} {
		client := t.TempDir()
		r := submitProc(t, client, keys, "--server", srv.base, "--tls-config", tc.tls, "--repo", url, "--commit", commit, "build")
		if r.code != 0 {
			t.Fatalf("%s submit: exit %d\n%s\n%s\nserver:\n%s", tc.tier, r.code, r.stdout, r.stderr, srv.log())
		}
		if !strings.Contains(r.stdout, "log-line-"+nonce) || !strings.Contains(r.stderr, "task build succeeded") ||
			!strings.Contains(r.stderr, "signed by the server (tier "+tc.tier) {
			t.Errorf("%s submit output:\n%s\n%s", tc.tier, r.stdout, r.stderr)
		}
		id := runIDOf(t, r)
		dir := filepath.Join(client, ".pinline", "runs", id)
		var rec record.Run
		b, err := os.ReadFile(filepath.Join(dir, record.RunFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Status != record.StatusSucceeded || rec.Tier != tc.tier || rec.BuilderID != tc.builder || !rec.Evidence.Signed ||
			rec.Service == nil || rec.Service.Commit != commit || rec.Service.Repository != url || rec.Repository.Commit != commit ||
			rec.Engine.Address != "unix://"+map[string]string{"release": f.eng.release, "pr": f.eng.pr}[tc.tier] {
			t.Errorf("%s run.json: status %s tier %s builder %s evidence %+v service %+v repo %+v engine %+v", tc.tier, rec.Status, rec.Tier, rec.BuilderID, rec.Evidence, rec.Service, rec.Repository, rec.Engine)
		}
		st := readProv(t, filepath.Join(dir, record.ProvenanceFile))
		bd := st.Predicate.BuildDefinition
		ext, _ := json.Marshal(bd.ExternalParameters)
		wantExt := fmt.Sprintf(`{"source":{"commit":"%s","uri":"%s"},"spec":{"path":"pinline.yaml"},"tasks":["build"]}`, commit, url)
		if string(ext) != wantExt {
			t.Errorf("%s externalParameters %s, want %s", tc.tier, ext, wantExt)
		}
		in := bd.InternalParameters
		if in["tier"] != tc.tier || in["serverVersion"] == nil || in["engine"] == "" || in["cacheMode"] == nil {
			t.Errorf("%s internalParameters %v", tc.tier, in)
		}
		if st.Predicate.RunDetails.Builder.ID != tc.builder || st.Predicate.RunDetails.Metadata.InvocationID != id {
			t.Errorf("%s runDetails %+v", tc.tier, st.Predicate.RunDetails)
		}
		var deps []string
		for _, d := range bd.ResolvedDependencies {
			deps = append(deps, d.Name+"="+d.Digest["gitCommit"]+d.Digest["sha256"])
		}
		if !slices.Contains(deps, "source="+commit) || !slices.ContainsFunc(deps, func(s string) bool { return strings.HasPrefix(s, "image:") }) ||
			!slices.ContainsFunc(deps, func(s string) bool { return strings.HasPrefix(s, "policy-bundle=") }) {
			t.Errorf("%s resolvedDependencies %v", tc.tier, deps)
		}
		runs = append(runs, done{tc.tier, tc.builder, dir, f.env.Keys[tc.tier]})
		// Nothing of a key reached the client's directory.
		for _, k := range keys {
			priv, _ := os.ReadFile(k.Private)
			_ = filepath.Walk(client, func(p string, fi os.FileInfo, err error) error {
				if err != nil || fi.IsDir() {
					return nil
				}
				b, _ := os.ReadFile(p)
				if bytes.Contains(b, []byte(k.Password)) || bytes.Contains(b, bytes.TrimSpace(priv)[40:120]) || bytes.Contains(b, []byte("PRIVATE KEY")) {
					t.Errorf("%s holds key material", p)
				}
				return nil
			})
		}
	}
	verify := func(d done, key servetest.Key, builder string) result {
		return pinline(t, d.dir, "verify", "--key", key.Public, "--attestation", record.ProvenanceFile,
			"--artifact", filepath.Join(record.OutputDir, "hello"), "--builder-id", builder)
	}
	cosignVerify := func(d done, key servetest.Key) error {
		cmd := exec.Command(f.eng.cosign, "verify-blob-attestation", "--key", key.Public, "--signature", record.ProvenanceFile,
			"--type", "slsaprovenance1", "--insecure-ignore-tlog", filepath.Join(record.OutputDir, "hello"))
		cmd.Dir, cmd.Env = d.dir, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + d.dir}
		out, err := cmd.CombinedOutput()
		if err == nil && !strings.Contains(string(out), "Verified OK") {
			return fmt.Errorf("no Verified OK: %s", out)
		}
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	for i, d := range runs {
		other := runs[1-i]
		if r := verify(d, d.key, d.builder); r.code != 0 {
			t.Errorf("%s: verify with its tier's key and builder id: exit %d %s%s", d.tier, r.code, r.stdout, r.stderr)
		}
		if r := verify(d, d.key, other.builder); r.code != 1 || !strings.Contains(r.stdout+r.stderr, "builder") {
			t.Errorf("%s: verify with the other tier's builder id: exit %d, want 1: %s%s", d.tier, r.code, r.stdout, r.stderr)
		}
		if r := verify(d, other.key, d.builder); r.code != 1 {
			t.Errorf("%s: verify with the other tier's key: exit %d, want 1: %s%s", d.tier, r.code, r.stdout, r.stderr)
		}
		if err := cosignVerify(d, d.key); err != nil {
			t.Errorf("%s: cosign with the tier's key: %v", d.tier, err)
		}
		if err := cosignVerify(d, other.key); err == nil {
			t.Errorf("%s: cosign accepted the other tier's key", d.tier)
		}
		// pinline runs and report work on the download; the report says
		// L3 met for the server-signed run.
		client := filepath.Dir(filepath.Dir(filepath.Dir(d.dir)))
		if r := pinline(t, client, "runs"); r.code != 0 || !strings.Contains(r.stdout, filepath.Base(d.dir)) {
			t.Errorf("%s: pinline runs: exit %d %s%s", d.tier, r.code, r.stdout, r.stderr)
		}
		r := pinline(t, client, "report", "--format", "json", "--key", d.key.Public, "-o", "report.json")
		if r.code != 0 {
			t.Errorf("%s: report: exit %d %s%s", d.tier, r.code, r.stdout, r.stderr)
			continue
		}
		b, _ := os.ReadFile(filepath.Join(client, "report.json"))
		if !l3Met(t, b) {
			t.Errorf("%s: report does not say L3 met for a server-signed run:\n%.3000s", d.tier, b)
		}
	}
}

// l3Met finds the L3 level of the (only) run in a JSON report.
func l3Met(t *testing.T, b []byte) bool {
	t.Helper()
	var rep struct {
		Runs []struct {
			SLSA []struct {
				Level, Status string
			} `json:"slsa"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Runs {
		for _, l := range r.SLSA {
			if l.Level == "L3" {
				return l.Status == "met"
			}
		}
	}
	return false
}

// TestServeKilledMidRun: the server process is killed (SIGKILL) while a
// run executes; on restart the run is failed, nothing of it is signed, and
// its files are served as failed. A SIGTERM during a run drains: the run
// is cancelled after the grace period and recorded, the server exits 0.
func TestServeKilledMidRun(t *testing.T) {
	f := newServeFixture(t, 1, 1)
	url, commit := f.env.Repo(t, "slow", map[string]string{
		"pinline.yaml": fmt.Sprintf("version: 1\nname: slow\nimages:\n  bb: %s\ntasks:\n  slow:\n    image: bb\n"+
			"    sh: mkdir -p /out && echo %d > /out/f && sleep 60\n    outputs:\n      - {path: /out/f}\n", f.image, time.Now().UnixNano()),
	})
	ctx := context.Background()
	waitRunning := func(c *serve.Client, id string) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			ev := make(chan bool, 1)
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, _ = c.Events(cctx, id, func(e serve.Event) {
				if e.Type == "task" && e.Status == record.StatusRunning {
					select {
					case ev <- true:
					default:
					}
					cancel()
				}
			})
			cancel()
			select {
			case <-ev:
				return
			default:
			}
		}
		t.Fatalf("run %s never started its task", id)
	}

	srv := startServe(t, f.cfg)
	c := f.client(t, srv.base, "ci-main")
	st, err := c.Submit(ctx, &serve.SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml", Tasks: []string{"slow"}})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(c, st.ID)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-srv.exited

	srv2 := startServe(t, f.cfg)
	c2 := f.client(t, srv2.base, "ci-main")
	got, err := c2.Status(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != serve.StateFailed || got.Signed || got.ExitCode == 0 || !strings.Contains(got.Error, "interrupted") {
		t.Errorf("after restart: %+v", got)
	}
	dl := t.TempDir()
	dir, err := c2.Download(ctx, st.ID, dl)
	if err != nil {
		t.Fatal(err)
	}
	var rec record.Run
	b, _ := os.ReadFile(filepath.Join(dir, record.RunFile))
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status != record.StatusFailed || rec.Evidence.Signed || rec.Evidence.Provenance != "" {
		t.Errorf("record after the kill: status %s evidence %+v", rec.Status, rec.Evidence)
	}
	for _, name := range []string{record.ProvenanceFile, record.BundleFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s downloaded for a killed run", name)
		}
	}

	// SIGTERM with a run in progress: drained within the grace period
	// (3s in the test config), then cancelled and recorded.
	st2, err := c2.Submit(ctx, &serve.SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(c2, st2.ID)
	if err := srv2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-srv2.exited:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, srv2.log())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("serve did not drain:\n%s", srv2.log())
	}
	srv3 := startServe(t, f.cfg)
	got, err = f.client(t, srv3.base, "ci-main").Status(ctx, st2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != serve.StateInterrupted || got.Signed || got.ExitCode != 1 {
		t.Errorf("drained run: %+v", got)
	}
	if !strings.Contains(srv2.log(), "grace period over") {
		t.Errorf("drain log:\n%s", srv2.log())
	}
}

// TestServeConcurrentSubmissions: 8 submissions over two tiers at once
// (release limit 2, pr limit 1): all complete and are signed, none is lost,
// queued runs were told their position, and no tier ever ran more than its
// limit at once.
func TestServeConcurrentSubmissions(t *testing.T) {
	f := newServeFixture(t, 2, 1)
	srv := startServe(t, f.cfg)
	ctx := context.Background()
	url, commit := f.env.Repo(t, "many", map[string]string{
		"pinline.yaml": fmt.Sprintf("version: 1\nname: many\nimages:\n  bb: %s\ntasks:\n  t:\n    image: bb\n"+
			"    sh: mkdir -p /out && echo %d > /out/f && sleep 1\n    outputs:\n      - {path: /out/f}\n", f.image, time.Now().UnixNano()),
	})
	clients := map[string]*serve.Client{"release": f.client(t, srv.base, "ci-main"), "pr": f.client(t, srv.base, "ci-pr")}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var finals []*serve.RunStatus
	positions := 0
	for i := range 8 {
		tier := []string{"release", "pr"}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[tier]
			st, err := c.Submit(ctx, &serve.SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml"})
			if err != nil {
				t.Errorf("submit %d: %v", i, err)
				return
			}
			fin, err := c.Events(ctx, st.ID, func(e serve.Event) {
				if e.Type == "queued" && e.Position > 1 {
					mu.Lock()
					positions++
					mu.Unlock()
				}
			})
			if err != nil {
				t.Errorf("events %s: %v", st.ID, err)
				return
			}
			mu.Lock()
			finals = append(finals, fin)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(finals) != 8 {
		t.Fatalf("%d of 8 runs finished\n%s", len(finals), srv.log())
	}
	limit := map[string]int{"release": 2, "pr": 1}
	for _, tier := range []string{"release", "pr"} {
		type edge struct {
			at    time.Time
			delta int
		}
		var edges []edge
		n := 0
		for _, fin := range finals {
			if fin.Tier != tier {
				continue
			}
			n++
			if fin.State != serve.StateSucceeded || !fin.Signed || fin.ExitCode != 0 {
				t.Errorf("run %s: %+v", fin.ID, fin)
			}
			edges = append(edges, edge{fin.StartedAt, 1}, edge{fin.FinishedAt, -1})
		}
		if n != 4 {
			t.Errorf("tier %s: %d runs", tier, n)
		}
		slices.SortFunc(edges, func(a, b edge) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return a.delta - b.delta
		})
		cur, peak := 0, 0
		for _, e := range edges {
			cur += e.delta
			peak = max(peak, cur)
		}
		if peak > limit[tier] {
			t.Errorf("tier %s ran %d at once, limit %d", tier, peak, limit[tier])
		}
	}
	if positions == 0 {
		t.Errorf("no queued run was told a position above 1")
	}
	list, err := clients["release"].List(ctx, map[string][]string{"tier": {"release"}, "state": {"succeeded"}})
	if err != nil || len(list) != 4 {
		t.Errorf("list release succeeded: %d %v", len(list), err)
	}
	list, err = clients["pr"].List(ctx, nil)
	if err != nil || len(list) != 4 {
		t.Errorf("the pr client sees %d runs (want its tier's 4): %v", len(list), err)
	}
}
