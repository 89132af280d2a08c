package attest

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// FileSHA256 streams the file at path through SHA-256 and returns the hex
// digest (the form subjects carry) and the number of bytes read. It is the
// one place pinline hashes artifacts for subjects: attest --subject,
// verify --artifact and the outputs of a run.
func FileSHA256(path string) (hexDigest string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	buf := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(buf)
	// struct{io.Reader} hides os.File's WriterTo, which would allocate a
	// fresh 32 KiB buffer per file (verify hashes thousands of artifacts).
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, *buf)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

var hashBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// FileDigests hashes the file at path with sha256 and each of extra (see
// ExtraAlgorithms) in one pass: the Artifact for verification.
func FileDigests(name, path string, extra []string) (Artifact, error) {
	if len(extra) == 0 {
		d, _, err := FileSHA256(path)
		return Artifact{Name: name, SHA256: d}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Artifact{}, err
	}
	defer f.Close()
	hs := map[string]hash.Hash{"sha256": sha256.New()}
	ws := []io.Writer{hs["sha256"]}
	for _, alg := range extra {
		var h hash.Hash
		switch alg {
		case "sha384":
			h = sha512.New384()
		case "sha512":
			h = sha512.New()
		default:
			return Artifact{}, fmt.Errorf("%w: unsupported digest algorithm %q", ErrBadInput, alg)
		}
		hs[alg] = h
		ws = append(ws, h)
	}
	buf := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(buf)
	if _, err := io.CopyBuffer(io.MultiWriter(ws...), struct{ io.Reader }{f}, *buf); err != nil {
		return Artifact{}, err
	}
	a := Artifact{Name: name, SHA256: hex.EncodeToString(hs["sha256"].Sum(nil)), Digests: map[string]string{}}
	for _, alg := range extra {
		a.Digests[alg] = hex.EncodeToString(hs[alg].Sum(nil))
	}
	return a, nil
}
