package sbom

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// timeNow is the clock for static BOMs.
var timeNow = time.Now

// Digests are the SHA-256 and (unless skipped) SHA-512 of a file, hex
// encoded.
type Digests struct {
	Size   int64
	SHA256 string
	SHA512 string // empty when SHA-512 was not asked for
}

const (
	hashChunk  = 256 << 10
	hashChunks = 16
)

// HashFile streams the file at path once and returns its SHA-256 and
// SHA-512. Each hash runs on its own goroutine over the same buffers while
// the caller's goroutine reads.
func HashFile(ctx context.Context, path string) (Digests, error) {
	return hashFile(ctx, path, true)
}

// HashFileSHA256 is HashFile without SHA-512: one goroutine reads and
// hashes, at SHA-256's speed instead of SHA-512's. (Handing the buffers to
// a second goroutine, as HashFile does, is slower for one hash: the bytes
// then cross cores.)
func HashFileSHA256(ctx context.Context, path string) (Digests, error) {
	return hashFile(ctx, path, false)
}

func hashFile(ctx context.Context, path string, with512 bool) (Digests, error) {
	f, err := os.Open(path)
	if err != nil {
		return Digests{}, err
	}
	defer f.Close()
	d, err := hashReader(ctx, f, with512)
	if err != nil {
		return Digests{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return d, nil
}

type hashBuf struct {
	b    []byte
	n    int
	refs atomic.Int32
}

// HashReader is HashFile over a reader.
func HashReader(ctx context.Context, r io.Reader) (Digests, error) {
	return hashReader(ctx, r, true)
}

// hashReader reads r into a ring of L2-sized buffers; one goroutine per
// hash consumes them, and a buffer is reused once every hash is done with
// it. Reading (a copy from the page cache) overlaps hashing, so the time is
// that of the slowest hash alone when a core is free.
func hashReader(ctx context.Context, r io.Reader, with512 bool) (Digests, error) {
	if err := ctx.Err(); err != nil {
		return Digests{}, err
	}
	if !with512 {
		return hashInline(ctx, r)
	}
	hs := []hash.Hash{sha256.New(), sha512.New()}
	digests := func(size int64) Digests {
		return Digests{Size: size, SHA256: hex.EncodeToString(hs[0].Sum(nil)), SHA512: hex.EncodeToString(hs[1].Sum(nil))}
	}
	// Small inputs (one buffer) are hashed inline; buffers are allocated
	// only as the input needs them.
	first := make([]byte, hashChunk)
	n, err := io.ReadFull(r, first)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		for _, h := range hs {
			h.Write(first[:n])
		}
		return digests(int64(n)), nil
	}
	if err != nil {
		return Digests{}, err
	}
	free := make(chan *hashBuf, hashChunks)
	allocated := 1
	pending := &hashBuf{b: first, n: n}
	release := func(c *hashBuf) {
		if c.refs.Add(-1) == 0 {
			free <- c
		}
	}
	feeds := make([]chan *hashBuf, len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		feeds[i] = make(chan *hashBuf, hashChunks)
		wg.Add(1)
		go func(feed <-chan *hashBuf) {
			defer wg.Done()
			for c := range feed {
				h.Write(c.b[:c.n])
				release(c)
			}
		}(feeds[i])
	}
	var size int64
	var rerr error
	for {
		if err := ctx.Err(); err != nil {
			rerr = err
			break
		}
		var c *hashBuf
		var n int
		var err error
		if pending != nil {
			c, n, pending = pending, pending.n, nil
		} else {
			select {
			case c = <-free:
			default:
				if allocated < hashChunks {
					allocated++
					c = &hashBuf{b: make([]byte, hashChunk)}
				} else {
					c = <-free
				}
			}
			n, err = io.ReadFull(r, c.b)
		}
		if n > 0 {
			size += int64(n)
			c.n = n
			c.refs.Store(int32(len(hs)))
			for _, f := range feeds {
				f <- c
			}
		} else {
			free <- c
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	for _, f := range feeds {
		close(f)
	}
	wg.Wait()
	if rerr != nil {
		return Digests{}, rerr
	}
	return digests(size), nil
}

// hashInline computes the SHA-256 of r on the caller's goroutine.
func hashInline(ctx context.Context, r io.Reader) (Digests, error) {
	h := sha256.New()
	buf := make([]byte, hashChunk)
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return Digests{}, err
		}
		n, err := io.ReadFull(r, buf)
		h.Write(buf[:n])
		size += int64(n)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Digests{Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
		}
		if err != nil {
			return Digests{}, err
		}
	}
}
