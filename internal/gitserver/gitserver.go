package gitserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Server is a running smart-HTTP git server.
type Server struct {
	// Root holds the bare repositories (<name>.git).
	Root string
	// Addr is the listen address (host:port).
	Addr string
	srv  *http.Server
	ln   net.Listener
}

// Start serves the bare repositories under root on addr, which must be a
// loopback address.
func Start(addr, root string) (*Server, error) { return start(addr, root, "", "") }

// StartAuth is Start with HTTP basic authentication: every request without
// user and password gets 401 (and a Basic challenge, so that git asks its
// credential helper). Pushes also need `git config http.receivepack true`
// in the repository.
func StartAuth(addr, root, user, password string) (*Server, error) {
	if user == "" || password == "" {
		return nil, errors.New("gitserver: StartAuth needs a user and a password")
	}
	return start(addr, root, user, password)
}

func start(addr, root, user, password string) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("gitserver: %s is not a loopback address", addr)
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	h := &cgi.Handler{Path: gitBin, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	var handler http.Handler = h
	if user != "" {
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="gitserver"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	s := &Server{Root: root, Addr: ln.Addr().String(), ln: ln,
		srv: &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the http:// URL of the repository name (without .git) as a Dagger
// module ref: the port is left out when it is 80.
func (s *Server) URL(name string) string {
	host := strings.TrimSuffix(s.Addr, ":80")
	return "http://" + host + "/" + name + ".git"
}

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// Publish makes a bare clone of the git work tree dir as <name>.git under
// the server's root (replacing an older one) and returns the HEAD commit.
func (s *Server) Publish(name, dir string) (string, error) {
	dst := filepath.Join(s.Root, name+".git")
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	if out, err := exec.Command("git", "clone", "-q", "--bare", dir, dst).CombinedOutput(); err != nil {
		return "", fmt.Errorf("git clone --bare: %v: %s", err, out)
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return "", err
	}
	c := strings.TrimSpace(string(out))
	if len(c) != 40 {
		return "", errors.New("gitserver: no commit")
	}
	return c, nil
}
