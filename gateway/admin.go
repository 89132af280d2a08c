package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
)

// BackendState is one engine as the admin socket reports it.
type BackendState struct {
	Tier     string `json:"tier"`
	Engine   string `json:"engine"`
	Backend  string `json:"backend"`
	Healthy  bool   `json:"healthy"`
	Draining bool   `json:"draining"`
	Active   int    `json:"activeConnections"`
}

// Backends returns the state of every engine, by tier and engine id.
func (s *Server) Backends() []BackendState {
	var out []BackendState
	for _, p := range s.pools {
		p.mu.Lock()
		for _, b := range p.backends {
			out = append(out, BackendState{Tier: p.tier, Engine: b.id, Backend: b.key, Healthy: !b.down.Load(),
				Draining: b.draining.Load(), Active: b.active})
		}
		p.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Engine < out[j].Engine })
	return out
}

// SetDraining marks the engine id (or backend address unix:///…)
// draining or not. A draining engine gets no new sessions; connections of
// sessions already on it are still admitted, so running sessions finish.
func (s *Server) SetDraining(engine string, draining bool) error {
	for _, p := range s.pools {
		for _, b := range p.backends {
			if b.id == engine || b.key == engine {
				if b.draining.Swap(draining) != draining {
					s.logf("engine %s (tier %s) draining=%v", b.id, p.tier, draining)
				}
				s.metrics.backendState(p.tier, b)
				return nil
			}
		}
	}
	return fmt.Errorf("no engine %q", engine)
}

// ListenAdmin creates the admin unix socket at path with mode 0600 (its
// directory must exist; a stale socket is replaced).
func ListenAdmin(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("admin socket %s: exists and is not a socket", path)
		}
		_ = os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	return ln, nil
}

// ServeAdmin serves the operator API on ln (a unix socket from
// ListenAdmin) until ctx ends:
//
//	GET  /v1/backends               → [BackendState…]
//	POST /v1/drain?engine=ID        → no new sessions on ID
//	POST /v1/undrain?engine=ID      → ID takes new sessions again
func (s *Server) ServeAdmin(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/backends", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Backends())
	})
	set := func(draining bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := s.SetDraining(r.URL.Query().Get("engine"), draining); err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(s.Backends())
		}
	}
	mux.HandleFunc("POST /v1/drain", set(true))
	mux.HandleFunc("POST /v1/undrain", set(false))
	return serveHTTP(ctx, ln, mux)
}
