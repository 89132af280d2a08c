package report

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromium returns the browser from PINLINE_CHROMIUM (set by
// hack/setup.d/40-chromium.sh); skipped when unset unless CI is set.
func chromium(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("PINLINE_CHROMIUM")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PINLINE_CHROMIUM is not set (hack/setup.d/40-chromium.sh)")
		}
		t.Skip("PINLINE_CHROMIUM not set")
	}
	return bin
}

func runChromium(t *testing.T, bin string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.String(), errb.String()
}

// TestHTMLInChromium opens the report in headless Chromium from a local
// server: exactly one request (the page), the DOM holds the run, violation
// and verdict text, no CSP violation is logged, and a screenshot is made.
func TestHTMLInChromium(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	var page bytes.Buffer
	if err := Render(&page, buildFixtureReport(t, fixtureChecker(t)), "html"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/report.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page.Bytes())
	}))
	defer srv.Close()
	url := srv.URL + "/report.html"

	dom, stderr := runChromium(t, bin, "--dump-dom", url)
	for _, want := range []string{
		"20261102T090000Z-a1b2c3", "20261104T090000Z-c3d4e5", // runs
		`image "docker.io/library/node:22" is not pinned by digest`, "PL004", // violations
		">verified<", ">invalid<", ">unsigned<", // verdicts
		"L3 <span", "Unreadable runs",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
	if strings.Contains(stderr, "Content Security Policy") || strings.Contains(stderr, "Content-Security-Policy") {
		t.Errorf("CSP violation logged:\n%s", stderr)
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	if dir := os.Getenv("PINLINE_REPORT_SCREENSHOT_DIR"); dir != "" {
		shot = filepath.Join(dir, "report.png")
	}
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2400", url)
	if b, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 20_000 {
		t.Errorf("screenshot %s: %d bytes, err %v", shot, len(b), err)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, p := range requests {
		if p != "/report.html" {
			t.Errorf("the page made a request for %s; want none besides the page", p)
		}
	}
	if len(requests) != 2 { // one per chromium invocation
		t.Errorf("requests = %v, want the page twice (dump-dom, screenshot)", requests)
	}
}
