package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pinline/pinline/spec"
)

// Two dagger call children whose functions list a host directory argument
// (Directory.entries on `--src .`) at the same time on one v0.19.10 engine
// both hang until one of them is killed; plain `dagger call` does the same
// (docs/call.md, "Directory arguments run one at a time"). Calls with a
// directory argument therefore take a host-wide lock per engine (per
// gateway through the gateway) for the life of their child: one such call
// at a time, across pinline processes of the user, also within one run.

// dirCallPoll is how often a call waiting for the lock tries again.
const dirCallPoll = 100 * time.Millisecond

// dirCallLockDir is where the lock files live (a var for tests).
var dirCallLockDir = func() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "pinline", "locks"), nil
}

// hasDirArg reports whether a call hands its function a directory of the
// repository: a named path argument that resolves (inside the root, which
// the gate checked) to an existing directory; also `file://DIR`, which the
// record treats as a file: secret and dagger call as the path DIR.
func hasDirArg(root string, c *spec.Call) bool {
	for _, a := range parseCallArgs(c.Args) {
		if a.host != "path" || a.name == "" {
			continue
		}
		p, err := insideRoot(root, a.value)
		if err != nil {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}

// dirCallKey names the engine a call reaches, for its lock.
func dirCallKey(e Engine) string {
	if e.Gateway != "" {
		return "gateway:" + e.Gateway
	}
	return e.Address
}

// lockDirCall takes the directory-argument lock of the engine named by key,
// waiting (with one line on log) while another call holds it; ctx ends the
// wait. The returned function releases it.
func lockDirCall(ctx context.Context, key string, log io.Writer) (func(), error) {
	dir, err := dirCallLockDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	path := filepath.Join(dir, "dagger-call-dir-"+hex.EncodeToString(sum[:8])+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	waiting := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, err
		}
		if !waiting {
			waiting = true
			fmt.Fprintf(log, "waiting for another call with a directory argument on engine %s to finish (%s)\n", key, path)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, context.Cause(ctx)
		case <-time.After(dirCallPoll):
		}
	}
}
