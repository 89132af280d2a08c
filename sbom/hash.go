package sbom

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// timeNow is the clock for static BOMs.
var timeNow = time.Now

// Digests are the SHA-256 and SHA-512 of a file, hex encoded.
type Digests struct {
	Size   int64
	SHA256 string
	SHA512 string
}

const (
	hashChunk  = 256 << 10
	hashChunks = 16
)

// HashFile streams the file at path once and returns its SHA-256 and
// SHA-512. The two hashes run in parallel over the same buffers.
func HashFile(ctx context.Context, path string) (Digests, error) {
	f, err := os.Open(path)
	if err != nil {
		return Digests{}, err
	}
	defer f.Close()
	d, err := HashReader(ctx, f)
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

// HashReader is HashFile over a reader. The caller's goroutine reads and
// computes SHA-256 (the faster hash, with SHA-NI); one helper goroutine
// computes SHA-512 over the same buffers. A buffer is reused once both are
// done with it.
func HashReader(ctx context.Context, r io.Reader) (Digests, error) {
	if err := ctx.Err(); err != nil {
		return Digests{}, err
	}
	h256, h512 := sha256.New(), sha512.New()
	// Small inputs (one buffer) are hashed inline; buffers are allocated
	// only as the input needs them.
	first := make([]byte, hashChunk)
	n, err := io.ReadFull(r, first)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		h256.Write(first[:n])
		h512.Write(first[:n])
		return Digests{Size: int64(n), SHA256: hex.EncodeToString(h256.Sum(nil)), SHA512: hex.EncodeToString(h512.Sum(nil))}, nil
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
	feed := make(chan *hashBuf, hashChunks)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c := range feed {
			h512.Write(c.b[:c.n])
			release(c)
		}
	}()
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
			c.refs.Store(2)
			feed <- c
			h256.Write(c.b[:n])
			release(c)
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
	close(feed)
	wg.Wait()
	if rerr != nil {
		return Digests{}, rerr
	}
	return Digests{Size: size, SHA256: hex.EncodeToString(h256.Sum(nil)), SHA512: hex.EncodeToString(h512.Sum(nil))}, nil
}
