package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/serve"
)

// TestSubmitTTY: `pinline submit` whose standard error is a real pseudo
// terminal shows the queue position on one line it rewrites (behind a
// running run of the same tier, concurrency 1) and a line per task state;
// with standard error not a terminal, the same progress is plain lines
// with no escape codes or carriage returns.
func TestSubmitTTY(t *testing.T) {
	f := newServeFixture(t, 1, 1)
	srv := startServe(t, f.cfg)
	nonce := fmt.Sprint(time.Now().UnixNano())
	url, commit := f.env.Repo(t, "progress", map[string]string{
		"pinline.yaml": fmt.Sprintf("version: 1\nname: progress\nimages:\n  bb: %s\ntasks:\n"+
			"  first:\n    image: bb\n    sh: echo first %s\n"+
			"  second:\n    image: bb\n    sh: echo second %s\n    dependsOn: [first]\n", f.image, nonce, nonce),
	})
	gc := f.client(t, srv.base, "ci-main")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	// block submits a run that holds the release tier's only slot (a
	// commit of its own, so the engine has nothing of it cached), and
	// returns once it runs: the next submission queues at position 1.
	blocks := 0
	block := func(t *testing.T) {
		t.Helper()
		blocks++
		blockURL, blockCommit := f.env.Repo(t, fmt.Sprintf("blocker%d", blocks), map[string]string{
			"pinline.yaml": fmt.Sprintf("version: 1\nname: block\nimages:\n  bb: %s\ntasks:\n  hold:\n    image: bb\n    sh: echo hold %s %d && sleep 6\n", f.image, nonce, blocks),
		})
		st, err := gc.Submit(ctx, &serve.SubmitRequest{Repository: blockURL, Commit: blockCommit, Spec: "pinline.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		for st.State != serve.StateRunning {
			if st.State != serve.StateQueued {
				t.Fatalf("blocker: %+v", st)
			}
			time.Sleep(50 * time.Millisecond)
			if st, err = gc.Status(ctx, st.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	submit := func(t *testing.T, stderr *os.File, errBuf io.Writer) (int, string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, "submit", "--server", srv.base, "--tls-config", f.releaseJ, "--repo", url, "--commit", commit)
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir, "TERM=xterm"}
		var out bytes.Buffer
		cmd.Stdout = &out
		if stderr != nil {
			cmd.Stderr = stderr
		} else {
			cmd.Stderr = errBuf
		}
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	progress := []string{
		"pinline: running",
		"pinline: task first running",
		"pinline: task first succeeded (exit 0)",
		"pinline: task second running",
		"pinline: task second succeeded (exit 0)",
	}

	t.Run("terminal", func(t *testing.T) {
		ptmx, tty, err := pty.Open()
		if err != nil {
			testenv.Unavailable(t, "no pty: "+err.Error(), "a kernel with /dev/ptmx (devpts)")
		}
		defer ptmx.Close()
		var mu sync.Mutex
		var screen bytes.Buffer
		read := make(chan struct{})
		go func() {
			defer close(read)
			b := make([]byte, 4096)
			for {
				n, err := ptmx.Read(b)
				mu.Lock()
				screen.Write(b[:n])
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
		block(t)
		code, stdout := submit(t, tty, nil)
		tty.Close() // the last slave descriptor: the reader gets EIO
		select {
		case <-read:
		case <-time.After(10 * time.Second):
			t.Fatal("the pty reader did not finish")
		}
		mu.Lock()
		got := screen.String()
		mu.Unlock()
		if code != 0 {
			t.Fatalf("submit: exit %d\nterminal:\n%q\nstdout:\n%s\nserver:\n%s", code, got, stdout, srv.log())
		}
		// The queue line is rewritten in place (carriage return, erase
		// line), then cleared before the run's lines.
		if !strings.Contains(got, "\r\x1b[Kqueued: position 1") || !strings.Contains(got, "\r\x1b[Kpinline: running") {
			t.Errorf("no in-place queue position on the terminal:\n%q", got)
		}
		at := 0
		for _, line := range progress {
			i := strings.Index(got[at:], line)
			if i < 0 {
				t.Errorf("terminal lacks %q after offset %d:\n%q", line, at, got)
				break
			}
			at += i + len(line)
		}
		if !strings.Contains(stdout, "first "+nonce) || !strings.Contains(stdout, "second "+nonce) {
			t.Errorf("task logs not on stdout:\n%s", stdout)
		}
	})

	t.Run("not a terminal", func(t *testing.T) {
		block(t)
		var errBuf bytes.Buffer
		code, stdout := submit(t, nil, &errBuf)
		got := errBuf.String()
		if code != 0 {
			t.Fatalf("submit: exit %d\nstderr:\n%s\nstdout:\n%s", code, got, stdout)
		}
		if strings.ContainsAny(got+stdout, "\x1b\r") {
			t.Errorf("escape codes or carriage returns off a terminal:\n%q\n%q", got, stdout)
		}
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		want := append([]string{"pinline: queued, position 1"}, progress...)
		at := 0
		for _, w := range want {
			for at < len(lines) && lines[at] != w {
				at++
			}
			if at == len(lines) {
				t.Errorf("stderr lacks the line %q in order:\n%s", w, got)
				break
			}
		}
	})
}
