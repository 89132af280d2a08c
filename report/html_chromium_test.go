package report

import (
	"bytes"
	"context"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/testenv"
)

// chromium returns the browser from PINLINE_CHROMIUM (set by
// hack/setup.d/40-chromium.sh); skipped when unset unless CI is set.
func chromium(t *testing.T) string {
	t.Helper()
	return testenv.Require(t, "PINLINE_CHROMIUM", "hack/setup.d/40-chromium.sh")
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
	if err := Render(&page, buildFixtureReport(t, fixtureVerifiers(t)), "html"); err != nil {
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

	// #sort=0 makes the inline script sort the runs table by id, oldest
	// first: it ran, so its CSP hash matched.
	dom, _ := runChromium(t, bin, "--dump-dom", url+"#sort=0")
	table, _, _ := strings.Cut(dom[strings.Index(dom, `class="sortable"`)+1:], "</table>")
	if !strings.Contains(table, `aria-sort="ascending"><button type="button">Run</button>`) {
		t.Errorf("sort script did not run: %.300s", table)
	}
	if a, b := strings.Index(table, "20261102T090000Z-a1b2c3"), strings.Index(table, "20261106T090000Z-e5f6a7"); a < 0 || b < 0 || a > b {
		t.Errorf("runs table not sorted by id ascending (oldest at %d, newest at %d)", a, b)
	}
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

	shot := filepath.Join(t.TempDir(), "report.png")
	if dir := os.Getenv("PINLINE_REPORT_SCREENSHOT_DIR"); dir != "" {
		shot = filepath.Join(dir, "report.png")
	}
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2400", url)
	// The inline stylesheet applied despite the page's CSP (it is allowed
	// by hash): table headers carry its background colour, which nothing
	// else on the page has.
	if n := countColor(t, shot, color.RGBA{0xf3, 0xf5, 0xf7, 0xff}); n < 5000 {
		t.Errorf("screenshot %s: %d pixels of the header colour; was the stylesheet blocked?", shot, n)
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

// countColor counts the pixels of colour c in a PNG file.
func countColor(t *testing.T, path string, c color.RGBA) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(bl>>8) == c.B {
				n++
			}
		}
	}
	return n
}

// TestCountColorSeesBlockedCSS: the check above fails when the style
// hash does not match (the stylesheet is blocked).
func TestCountColorSeesBlockedCSS(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	var page bytes.Buffer
	if err := Render(&page, buildFixtureReport(t, nil), "html"); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`style-src &#39;sha256-.+?&#39;;`)
	if !re.Match(page.Bytes()) {
		t.Fatal("no style-src hash in the page")
	}
	bad := re.ReplaceAll(page.Bytes(), []byte("style-src &#39;sha256-AAAA&#39;;"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad.html"), bad)
	shot := filepath.Join(dir, "bad.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2400", "file://"+filepath.Join(dir, "bad.html"))
	if n := countColor(t, shot, color.RGBA{0xf3, 0xf5, 0xf7, 0xff}); n > 0 {
		t.Errorf("blocked stylesheet still shows %d header pixels", n)
	}
}
