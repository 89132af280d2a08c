package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// healthCheck tells whether the engine on an open connection answers.
type healthCheck func(ctx context.Context, c net.Conn) error

// h2Preface is an HTTP/2 client connection preface and an empty SETTINGS
// frame: an engine (its gRPC server) answers with a SETTINGS frame.
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"

// checkEngine is the default health check: send the HTTP/2 preface,
// expect a SETTINGS frame back within ctx.
func checkEngine(ctx context.Context, c net.Conn) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, h2Preface); err != nil {
		return err
	}
	hdr := make([]byte, 9)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return fmt.Errorf("no HTTP/2 frame: %w", err)
	}
	if hdr[3] != 0x4 {
		return fmt.Errorf("first frame type %#x, want SETTINGS", hdr[3])
	}
	return nil
}

// checkAnswers is a health check for stand-in backends that speak no
// HTTP/2: the backend sends at least one byte.
func checkAnswers(ctx context.Context, c net.Conn) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	var b [1]byte
	_, err := io.ReadFull(c, b[:])
	return err
}

// checkAll checks every backend of every tier once, concurrently, and
// updates their state (and the metrics) from the verdicts.
func (s *Server) checkAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range s.pools {
		for _, b := range p.backends {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cctx, cancel := context.WithTimeout(ctx, s.cfg.HealthTimeout)
				c, err := s.dialBackend(cctx, b.key)
				if err == nil {
					err = s.check(cctx, c)
					c.Close()
				}
				cancel()
				if ctx.Err() != nil {
					return
				}
				was := b.down.Swap(err != nil)
				if was != (err != nil) {
					verdict := "up"
					if err != nil {
						verdict = "down: " + err.Error()
					}
					s.logf("engine %s (tier %s) is %s", b.id, p.tier, verdict)
				}
				s.metrics.backendState(p.tier, b)
			}()
		}
	}
	wg.Wait()
}

// healthLoop checks the backends at once and then every HealthInterval
// until ctx ends.
func (s *Server) healthLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.HealthInterval)
	defer t.Stop()
	for {
		s.checkAll(ctx)
		for _, p := range s.pools {
			p.sweep()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// logf writes an operator message (not an audit record) to the server's
// log, if it has one.
func (s *Server) logf(format string, a ...any) {
	if s.log == nil {
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "pinline gateway: "+format+"\n", a...)
	_, _ = s.log.Write(b.Bytes())
}
