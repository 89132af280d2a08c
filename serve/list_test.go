package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/servetest"
	"github.com/pinline/pinline/internal/testenv"
)

// TestListPagination: GET /v1/runs pages with limit and an opaque cursor;
// following the cursors gives every run of the caller's tiers once, in id
// order, with the filters applied on every page; bad limits and forged
// cursors are refused with 400.
func TestListPagination(t *testing.T) {
	t.Parallel()
	env := servetest.New(t)
	ts := startServer(t, env, "/nonexistent/dagger", "/nonexistent/release.sock", "/nonexistent/pr.sock", 1, 1)
	base := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	var want []string
	ts.srv.mu.Lock()
	for i := range 25 {
		tier, state := "release", StateSucceeded
		if i%5 == 0 {
			tier = "pr"
		}
		if i%3 == 0 {
			state = StateFailed
		}
		id := fmt.Sprintf("20261207T01%02d00Z-%08x", i, i)
		ts.srv.runs[id] = &run{notify: make(chan struct{}), status: RunStatus{ID: id, Tier: tier, State: state, Repository: "http://r/x", SubmittedAt: base.Add(time.Duration(i) * time.Minute)}}
		if tier == "release" && state == StateSucceeded {
			want = append(want, id)
		}
	}
	ts.srv.mu.Unlock()
	ctx := context.Background()
	f := &ListFilter{State: StateSucceeded, Limit: 4}
	var got []string
	pages := 0
	for {
		page, err := ts.release.ListPage(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Runs) > 4 {
			t.Fatalf("page of %d runs, limit 4", len(page.Runs))
		}
		for _, r := range page.Runs {
			if r.Tier != "release" || r.State != StateSucceeded {
				t.Errorf("listed %+v", r)
			}
			got = append(got, r.ID)
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || pages != (len(want)+3)/4 {
		t.Errorf("pages %d, runs %v, want %v", pages, got, want)
	}
	all, err := ts.release.List(ctx, url.Values{"state": {StateSucceeded}, "limit": {"3"}})
	if err != nil || fmt.Sprint(idsOf(all)) != fmt.Sprint(want) {
		t.Errorf("List across pages: %v %v", idsOf(all), err)
	}
	since, err := ts.release.List(ctx, url.Values{"since": {base.Add(20 * time.Minute).Format(time.RFC3339)}, "limit": {"2"}})
	if err != nil || len(since) != 4 { // 20..24 minus pr run 20
		t.Errorf("since: %v %v", idsOf(since), err)
	}
	// The same pages with curl (the API is usable without pinline).
	curl := testenv.RequireProgram(t, "curl", "curl (apt)")
	cert, key := filepath.Join(env.Dir, "ci-main.crt"), filepath.Join(env.Dir, "ci-main.key")
	var curled []string
	q := "state=succeeded&limit=5"
	for range 10 {
		out, err := exec.Command(curl, "-sS", "--fail-with-body", "--cert", cert, "--key", key, "--cacert", env.CAFile, ts.base+"/v1/runs?"+q).Output()
		if err != nil {
			t.Fatalf("curl: %v %s", err, out)
		}
		var page RunList
		if err := json.Unmarshal(out, &page); err != nil {
			t.Fatalf("curl answer %s: %v", out, err)
		}
		curled = append(curled, idsOf(page.Runs)...)
		if page.NextCursor == "" {
			break
		}
		q = "state=succeeded&limit=5&cursor=" + url.QueryEscape(page.NextCursor)
	}
	if fmt.Sprint(curled) != fmt.Sprint(want) {
		t.Errorf("curl pages %v, want %v", curled, want)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "limit=01", "cursor=abc", "cursor=" + encodeCursor("../x"), "limit=1&limit=2", "page=2"} {
		v, _ := url.ParseQuery(q)
		resp, err := ts.release.do(ctx, "GET", "/v1/runs?"+v.Encode(), nil)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: accepted", q)
		} else if statusOf(err) != 400 || reasonOf(err) != "bad-request" {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func idsOf(rs []RunStatus) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
