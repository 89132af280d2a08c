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

// Digests are the SHA-256 and SHA-512 of a file, hex encoded.
type Digests struct {
	Size   int64
	SHA256 string
	SHA512 string
}

const (
	hashChunk  = 4 << 20
	hashChunks = 4
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

// HashReader is HashFile over a reader.
func HashReader(ctx context.Context, r io.Reader) (Digests, error) {
	h256, h512 := sha256.New(), sha512.New()
	free := make(chan *hashBuf, hashChunks)
	for range hashChunks {
		free <- &hashBuf{b: make([]byte, hashChunk)}
	}
	feeds := []chan *hashBuf{make(chan *hashBuf, hashChunks), make(chan *hashBuf, hashChunks)}
	var wg sync.WaitGroup
	for i, h := range []hash.Hash{h256, h512} {
		wg.Add(1)
		go func(h hash.Hash, in <-chan *hashBuf) {
			defer wg.Done()
			for c := range in {
				h.Write(c.b[:c.n])
				if c.refs.Add(-1) == 0 {
					free <- c
				}
			}
		}(h, feeds[i])
	}
	var size int64
	var rerr error
	for rerr == nil {
		if err := ctx.Err(); err != nil {
			rerr = err
			break
		}
		c := <-free
		n, err := io.ReadFull(r, c.b)
		if n > 0 {
			size += int64(n)
			c.n = n
			c.refs.Store(2)
			feeds[0] <- c
			feeds[1] <- c
		} else {
			free <- c
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		rerr = err
	}
	close(feeds[0])
	close(feeds[1])
	wg.Wait()
	if rerr != nil {
		return Digests{}, rerr
	}
	return Digests{Size: size, SHA256: hex.EncodeToString(h256.Sum(nil)), SHA512: hex.EncodeToString(h512.Sum(nil))}, nil
}
