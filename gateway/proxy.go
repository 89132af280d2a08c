package gateway

import (
	"bufio"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// copyBufSize is the buffer of each copy direction. TLS records carry at
// most 16 KiB, but a large buffer lets the unix side move big chunks.
const copyBufSize = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// halfCloser is a connection that can close its write side (TCP, unix,
// TLS after the handshake).
type halfCloser interface{ CloseWrite() error }

// pipeStats are the results of a proxied connection.
type pipeStats struct {
	up, down int64 // a→b, b→a
	idle     bool  // closed by the idle timeout
}

// pipe copies a→b and b→a until both directions finish, an error occurs,
// no byte moves in either direction for idle (0: no limit), or stop is
// closed. It closes both connections before returning.
func pipe(a, b net.Conn, idle time.Duration, stop <-chan struct{}) pipeStats {
	var activity atomic.Uint64
	var st pipeStats
	var idled atomic.Bool
	done := make(chan struct{})
	var wg sync.WaitGroup
	var closeOnce sync.Once
	closeBoth := func() { closeOnce.Do(func() { a.Close(); b.Close() }) }
	wg.Add(2)
	go func() { defer wg.Done(); st.up = copyCounted(b, a, &activity, closeBoth) }()
	go func() { defer wg.Done(); st.down = copyCounted(a, b, &activity, closeBoth) }()
	go func() { wg.Wait(); close(done) }()

	var tick <-chan time.Time
	if idle > 0 {
		interval := idle / 4
		if interval < 5*time.Millisecond {
			interval = 5 * time.Millisecond
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	last, lastMove := activity.Load(), time.Now()
	for {
		select {
		case <-done:
			closeBoth()
			st.idle = idled.Load()
			return st
		case <-stop:
			closeBoth()
			stop = nil
		case now := <-tick:
			if n := activity.Load(); n != last {
				last, lastMove = n, now
			} else if now.Sub(lastMove) >= idle {
				idled.Store(true)
				closeBoth()
			}
		}
	}
}

// copyCounted copies src to dst with a pooled buffer, counting bytes and
// bumping activity. On EOF it half-closes dst so the peer sees the end of
// the stream; on any error it closes both connections.
func copyCounted(dst, src net.Conn, activity *atomic.Uint64, closeBoth func()) int64 {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var total int64
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			activity.Add(1)
			w, werr := dst.Write(buf[:n])
			total += int64(w)
			if werr != nil {
				closeBoth()
				return total
			}
		}
		if rerr != nil {
			if rerr == io.EOF {
				if hc, ok := dst.(halfCloser); ok && hc.CloseWrite() == nil {
					return total
				}
			}
			closeBoth()
			return total
		}
	}
}

// readBufSize is the read buffer under TLS: one read syscall fetches many
// TLS records instead of one record (header, then body) at a time.
const readBufSize = 256 << 10

// bufConn is a net.Conn whose reads go through a large buffer.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func newBufConn(c net.Conn) *bufConn {
	return &bufConn{Conn: c, r: bufio.NewReaderSize(c, readBufSize)}
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// CloseWrite half-closes the underlying connection when it can.
func (b *bufConn) CloseWrite() error {
	if hc, ok := b.Conn.(halfCloser); ok {
		return hc.CloseWrite()
	}
	return nil
}
