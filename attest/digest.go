package attest

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"sync"
)

// FileSHA256 streams the file at path through SHA-256 and returns the hex
// digest (the form subjects carry) and the number of bytes read. It is the
// one place pinline hashes artifacts for subjects given on the command line
// (attest --subject, verify --artifact); a run's outputs are hashed once by
// the exporter (SHA-256 and SHA-512, sbom.HashFile) and their subjects come
// from run.json.
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
