package serve

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/record"
)

// TestHostileClient: a run's status, events and files are visible only to
// certificates admitted to its tier; downloads cannot leave the run
// directory (dot segments, encoded slashes, symlinks a task exported);
// malformed run ids are refused; a finished run cannot be cancelled. The
// run itself fails (no engine): failed, exit 3, never signed.
func TestHostileClient(t *testing.T) {
	t.Parallel()
	env := servetest.New(t)
	ts := startServer(t, env, "/nonexistent/dagger", "/nonexistent/release.sock", "/nonexistent/pr.sock", 1, 1)
	url, commit := env.Repo(t, "app", map[string]string{
		"pinline.yaml": specYAML(fakeImage, "  build:\n    image: bb\n    run: [\"true\"]\n"),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := ts.release.Submit(ctx, &SubmitRequest{Repository: url, Commit: commit, Spec: "pinline.yaml", Tasks: []string{"build"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateQueued && st.State != StateRunning || st.Tier != "release" || st.BuilderID != releaseBuilder {
		t.Errorf("submitted: %+v", st)
	}
	fin, err := ts.release.Events(ctx, st.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fin.State != StateFailed || fin.Signed || fin.ExitCode != 3 {
		t.Errorf("final: %+v", fin)
	}
	// The workspace is gone.
	if got := ts.storeEntries(t, "work"); len(got) != 0 {
		t.Errorf("workspace left: %v", got)
	}
	// The other tier sees nothing of it.
	if _, err := ts.pr.Status(ctx, st.ID); statusOf(err) != 404 {
		t.Errorf("pr status of a release run: %v", err)
	}
	if runs, err := ts.pr.List(ctx, nil); err != nil || len(runs) != 0 {
		t.Errorf("pr list: %v %v", runs, err)
	}
	if _, err := ts.pr.Download(ctx, st.ID, t.TempDir()); statusOf(err) != 404 {
		t.Errorf("pr download of a release run: %v", err)
	}
	if _, err := ts.release.Cancel(ctx, st.ID); statusOf(err) != 409 {
		t.Errorf("cancel of a finished run: %v", err)
	}
	// A symlink in the run directory (as a task could export) is neither
	// listed nor served.
	runDir := filepath.Join(ts.cfg.Store, ".pinline", "runs", st.ID)
	if err := os.Symlink("/etc/passwd", filepath.Join(runDir, "link")); err != nil {
		t.Fatal(err)
	}
	dl := t.TempDir()
	dir, err := ts.release.Download(ctx, st.ID, dl)
	if err != nil {
		t.Fatal(err)
	}
	var rec record.Run
	if r, err := record.ReadRun(dir); err != nil {
		t.Fatal(err)
	} else {
		rec = *r
	}
	if rec.Status != record.StatusFailed || rec.Evidence.Signed || rec.Service == nil || rec.Service.Commit != commit {
		t.Errorf("downloaded record: %+v", rec)
	}
	if _, err := os.Lstat(filepath.Join(dir, "link")); err == nil {
		t.Errorf("the symlink was downloaded")
	}
	secret := "/v1/runs/" + st.ID + "/files/"
	for _, p := range []string{
		secret + "link",
		secret + "../../serve/" + st.ID + ".json",
		secret + "..%2f..%2fserve%2f" + st.ID + ".json",
		secret + "logs/..%2F..%2F..%2Fserve%2F" + st.ID + ".json",
		secret + "%2e%2e/%2e%2e/serve/" + st.ID + ".json",
		secret + "/etc/passwd",
		secret + "logs//build.log",
		"/v1/runs/..%2f..%2fserve/files",
		"/v1/runs/" + st.ID + "%00/files",
		"/v1/runs/.hidden/files",
	} {
		resp, err := ts.release.HTTP.Get(ts.base + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(b), "root:") || strings.Contains(string(b), `"fingerprint"`) {
			t.Errorf("GET %s: %d %.200s", p, resp.StatusCode, b)
		}
	}
	for _, id := range []string{"..", "a b", strings.Repeat("x", 200)} {
		if _, err := ts.release.Status(ctx, id); statusOf(err) != 400 && statusOf(err) != 404 {
			t.Errorf("status %q: %v", id, err)
		}
	}
	// Filters.
	runs, err := ts.release.List(ctx, map[string][]string{"state": {"failed"}, "repository": {url}, "since": {time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}})
	if err != nil || len(runs) != 1 || runs[0].ID != st.ID {
		t.Errorf("list with filters: %v %v", runs, err)
	}
	for _, q := range []map[string][]string{{"state": {"succeeded"}}, {"tier": {"pr"}}, {"repository": {url + "x"}}, {"since": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}} {
		if runs, err := ts.release.List(ctx, q); err != nil || len(runs) != 0 {
			t.Errorf("list %v: %v %v", q, runs, err)
		}
	}
	if _, err := ts.release.List(ctx, map[string][]string{"colour": {"red"}}); statusOf(err) != 400 {
		t.Errorf("unknown filter: %v", err)
	}
	if _, err := ts.release.List(ctx, map[string][]string{"since": {"yesterday"}}); statusOf(err) != 400 {
		t.Errorf("bad since: %v", err)
	}
}
