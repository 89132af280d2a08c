package serve

import (
	"context"
	"crypto/tls"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/internal/servetest"
)

const fakeImage = "127.0.0.1:1/pinline/none@sha256:0000000000000000000000000000000000000000000000000000000000000000"

// TestSubmissionRefusals: a branch or tag instead of a commit, a URL
// outside the tier's prefixes, a spec path escaping the repository (by
// name or by symlink), an unknown task, a commit the repository lacks, a
// certificate of no tier, a tier above the certificate: each is a 4xx with
// a clear reason, audited, and nothing runs (no run directory, no state,
// no workspace left).
func TestSubmissionRefusals(t *testing.T) {
	t.Parallel()
	env := servetest.New(t)
	ts := startServer(t, env, "/nonexistent/dagger", "/nonexistent/release.sock", "/nonexistent/pr.sock", 1, 1)
	url, commit := env.Repo(t, "app", map[string]string{
		"pinline.yaml":      specYAML(fakeImage, "  build:\n    image: bb\n    run: [\"true\"]\n"),
		"evil.yaml":         "->/etc/passwd",
		"sub/inner.yaml":    "->../../../../etc/hostname",
		"dir.yaml/x":        "not a file spec",
		"nested/ok/pl.yaml": specYAML(fakeImage, "  t:\n    image: bb\n    run: [\"true\"]\n"),
	})
	ctx := context.Background()
	prefix := env.RepoPrefix()
	cases := []struct {
		name   string
		c      *Client
		req    SubmitRequest
		status int
		reason string
		text   string
	}{
		{"branch", ts.release, SubmitRequest{Repository: url, Commit: "main"}, 400, "not-a-commit", "full 40-hex"},
		{"tag", ts.release, SubmitRequest{Repository: url, Commit: "v1"}, 400, "not-a-commit", "branches, tags"},
		{"short commit", ts.release, SubmitRequest{Repository: url, Commit: commit[:12]}, 400, "not-a-commit", ""},
		{"upper-case commit", ts.release, SubmitRequest{Repository: url, Commit: strings.ToUpper(commit)}, 400, "not-a-commit", ""},
		{"url outside prefixes", ts.release, SubmitRequest{Repository: "http://127.0.0.2:1/app.git", Commit: commit}, 400, "repository-not-allowed", "not under a repository prefix"},
		{"prefix sibling", ts.release, SubmitRequest{Repository: strings.TrimSuffix(prefix, "/") + "0/app.git", Commit: commit}, 400, "repository-not-allowed", ""},
		{"dot segments", ts.release, SubmitRequest{Repository: prefix + "x/../app.git", Commit: commit}, 400, "repository-not-allowed", ""},
		{"file url", ts.release, SubmitRequest{Repository: "file:///etc", Commit: commit}, 400, "repository-not-allowed", ""},
		{"user in url", ts.release, SubmitRequest{Repository: strings.Replace(prefix, "http://", "http://u:p@", 1) + "app.git", Commit: commit}, 400, "repository-not-allowed", ""},
		{"spec dotdot", ts.release, SubmitRequest{Repository: url, Commit: commit, Spec: "../server.yaml"}, 400, "bad-spec-path", "clean relative path"},
		{"spec absolute", ts.release, SubmitRequest{Repository: url, Commit: commit, Spec: "/etc/passwd"}, 400, "bad-spec-path", ""},
		{"spec symlink out", ts.release, SubmitRequest{Repository: url, Commit: commit, Spec: "evil.yaml"}, 422, "bad-spec-path", "resolves outside the repository"},
		{"spec nested symlink out", ts.release, SubmitRequest{Repository: url, Commit: commit, Spec: "sub/inner.yaml"}, 422, "bad-spec-path", ""},
		{"spec directory", ts.release, SubmitRequest{Repository: url, Commit: commit, Spec: "dir.yaml"}, 422, "bad-spec", "not a regular file"},
		{"spec missing", ts.release, SubmitRequest{Repository: url, Commit: commit, Spec: "nope.yaml"}, 422, "bad-spec", "not in the repository"},
		{"unknown task", ts.release, SubmitRequest{Repository: url, Commit: commit, Tasks: []string{"deploy"}}, 422, "unknown-task", "deploy"},
		{"bad task name", ts.release, SubmitRequest{Repository: url, Commit: commit, Tasks: []string{"--all"}}, 400, "bad-request", ""},
		{"commit not in repository", ts.release, SubmitRequest{Repository: url, Commit: strings.Repeat("ab", 20)}, 422, "fetch-failed", ""},
		{"no tier", ts.stranger, SubmitRequest{Repository: url, Commit: commit}, 403, "identity-matches-no-tier", ""},
		{"tier above certificate", ts.pr, SubmitRequest{Repository: url, Commit: commit, Tier: "release"}, 403, "tier-above-certificate", ""},
		{"unknown tier", ts.pr, SubmitRequest{Repository: url, Commit: commit, Tier: "prod"}, 403, "unknown-tier", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.Submit(ctx, &tc.req)
			if statusOf(err) != tc.status || reasonOf(err) != tc.reason || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("got %v (status %d, reason %q), want %d %s containing %q", err, statusOf(err), reasonOf(err), tc.status, tc.reason, tc.text)
			}
		})
	}
	// Raw bodies the decoder refuses.
	for _, body := range []string{`{"repository":"x","commit":"y","extra":1}`, `{"repository":"x"} {}`, `[]`, ``, `{"tasks":"a"}`} {
		resp, err := ts.release.HTTP.Post(ts.base+"/v1/runs", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("body %q: status %d, want 400", body, resp.StatusCode)
		}
	}
	// Spoofed identity headers change nothing: the pr certificate asking
	// with release-looking headers is still tier pr (the audit says so).
	req, _ := http.NewRequest(http.MethodPost, ts.base+"/v1/runs", strings.NewReader(`{"repository":"`+url+`","commit":"`+commit+`","tasks":["nope"]}`))
	req.Header.Set("X-Pinline-Tier", "release")
	req.Header.Set("X-Forwarded-Client-Cert", "URI=spiffe://pinline.test/ci/main/app")
	req.Header.Set("X-Client-Identity", "spiffe://pinline.test/ci/main/app")
	resp, err := ts.pr.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 422 {
		t.Errorf("spoofed headers: status %d", resp.StatusCode)
	}

	// No certificate: 401, audited. A certificate of another CA: the
	// handshake fails, audited from the server's error log.
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.release.HTTP.Transport.(*http.Transport).TLSClientConfig.RootCAs}}}
	resp, err = noCert.Post(ts.base+"/v1/runs", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no certificate: status %d", resp.StatusCode)
	}
	other, err := engineconfig.NewCA("other CA", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cp, kp, _ := other.Issue(engineconfig.CertSpec{CN: "mallory", URIs: []string{"spiffe://pinline.test/ci/main/app"}, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour)})
	pair, _ := tls.X509KeyPair(cp, kp)
	foreign := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.release.HTTP.Transport.(*http.Transport).TLSClientConfig.RootCAs,
		// Sent even though the server names other acceptable CAs.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }}}}
	if resp, err := foreign.Post(ts.base+"/v1/runs", "application/json", strings.NewReader(`{}`)); err == nil {
		resp.Body.Close()
		t.Errorf("a certificate of another CA got status %d", resp.StatusCode)
	}

	// Nothing ran, nothing is left.
	if got := ts.storeEntries(t, "runs"); len(got) != 0 {
		t.Errorf("run directories after refusals: %v", got)
	}
	if got := ts.storeEntries(t, "serve"); len(got) != 0 {
		t.Errorf("state files after refusals: %v", got)
	}
	if got := ts.storeEntries(t, "work"); len(got) != 0 {
		t.Errorf("workspaces left after refusals: %v", got)
	}
	runs, err := ts.release.List(ctx, nil)
	if err != nil || len(runs) != 0 {
		t.Errorf("list: %v %v", runs, err)
	}
	ts.stop(t)
	audit := ts.audit(t)
	refused, handshakes, noCerts := 0, 0, 0
	var spoofed *AuditRecord
	for i, r := range audit {
		switch {
		case r.Reason == "tls-handshake-failed":
			handshakes++
			continue
		case r.Reason == "no-client-certificate":
			noCerts++
			continue
		case r.Reason == "unknown-task" && r.Tier == "pr":
			spoofed = &audit[i]
		}
		if r.Outcome == "refused" {
			refused++
			if r.Reason == "" || r.Status < 400 {
				t.Errorf("refusal without reason/status: %+v", r)
			}
		}
		if r.Fingerprint == "" || r.Identity == "" {
			t.Errorf("audit line without identity: %+v", r)
		}
	}
	if want := len(cases) + 6; refused != want || handshakes != 1 || noCerts != 1 {
		t.Errorf("%d refusals audited, want %d; %d handshake failures, %d without certificate, want 1 each", refused, want, handshakes, noCerts)
	}
	if spoofed == nil {
		t.Fatal("the spoofed request is not audited as tier pr")
	}
	last := *spoofed
	if last.Tier != "pr" || last.Identity != "spiffe:spiffe://pinline.test/ci/pr/42" || last.Reason != "unknown-task" {
		t.Errorf("spoofed request audited as %+v", last)
	}
	if !slices.ContainsFunc(audit, func(r AuditRecord) bool {
		return r.Reason == "identity-matches-no-tier" && r.Identity == "spiffe:spiffe://elsewhere.test/x/"
	}) {
		t.Errorf("the stranger's refusal is not audited with its identity")
	}
}
