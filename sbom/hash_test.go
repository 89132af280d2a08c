package sbom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func TestHashReader(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, hashChunk - 1, hashChunk, hashChunk + 1, hashChunks*hashChunk + 7, 3*hashChunks*hashChunk + 1} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		s256, s512 := sha256.Sum256(data), sha512.Sum512(data)
		want := Digests{Size: int64(n), SHA256: hex.EncodeToString(s256[:]), SHA512: hex.EncodeToString(s512[:])}
		// A reader returning short reads exercises partial chunks.
		for name, r := range map[string]func() io.Reader{
			"whole":       func() io.Reader { return bytes.NewReader(data) },
			"short reads": func() io.Reader { return &shortReader{data: data, max: 70001} },
		} {
			got, err := HashReader(context.Background(), r())
			if err != nil {
				t.Fatalf("%d bytes, %s: %v", n, name, err)
			}
			if got != want {
				t.Errorf("%d bytes, %s: got %+v, want %+v", n, name, got, want)
			}
			// Without SHA-512: the same SHA-256 and size, no SHA-512.
			got, err = hashReader(context.Background(), r(), false)
			if err != nil {
				t.Fatalf("%d bytes, %s, sha256 only: %v", n, name, err)
			}
			if want256 := (Digests{Size: want.Size, SHA256: want.SHA256}); got != want256 {
				t.Errorf("%d bytes, %s, sha256 only: got %+v, want %+v", n, name, got, want256)
			}
		}
	}
}

type shortReader struct {
	data []byte
	max  int
}

func (r *shortReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.max, len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

type failingReader struct{ after int }

var errDisk = errors.New("disk on fire")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.after <= 0 {
		return 0, errDisk
	}
	n := min(len(p), r.after)
	r.after -= n
	return n, nil
}

func TestHashReaderErrors(t *testing.T) {
	t.Parallel()
	for _, with512 := range []bool{true, false} {
		if _, err := hashReader(context.Background(), &failingReader{after: 3*hashChunk + 5}, with512); !errors.Is(err, errDisk) {
			t.Errorf("read error (sha512 %v): got %v", with512, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := HashReader(ctx, bytes.NewReader(make([]byte, 10))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
	if _, err := HashFile(context.Background(), "testdata/does-not-exist"); err == nil {
		t.Error("missing file hashed")
	}
	if _, err := HashFileSHA256(context.Background(), "testdata/does-not-exist"); err == nil {
		t.Error("missing file hashed (sha256 only)")
	}
}
