package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pinline/pinline/spec"
)

// TestDirCallLock: directory-argument calls on one engine take turns, also
// within one process; another engine's calls do not wait; a waiting call
// says so once and ends with its context.
func TestDirCallLock(t *testing.T) {
	dir := t.TempDir()
	old := dirCallLockDir
	dirCallLockDir = func() (string, error) { return dir, nil }
	defer func() { dirCallLockDir = old }()

	unlockA, err := lockDirCall(context.Background(), "unix:///a.sock", &lockedBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	// Another engine: no wait.
	unlockB, err := lockDirCall(context.Background(), "gateway:127.0.0.1:1", &lockedBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	unlockB()

	// The same engine: waits until its context ends.
	var log lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := lockDirCall(ctx, "unix:///a.sock", &log); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock on a held engine: %v, want the context's deadline", err)
	}
	if n := strings.Count(log.String(), "waiting for another call with a directory argument"); n != 1 {
		t.Errorf("waiting lines: %d in %q, want 1", n, log.String())
	}

	// Released: the waiter gets it, and only one holder at a time.
	var mu sync.Mutex
	holders, most := 0, 0
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := lockDirCall(context.Background(), "unix:///a.sock", &lockedBuffer{})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			holders++
			most = max(most, holders)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			holders--
			mu.Unlock()
			unlock()
		}()
	}
	time.Sleep(100 * time.Millisecond)
	unlockA()
	wg.Wait()
	if most != 1 {
		t.Errorf("%d holders of one engine's lock at once, want 1", most)
	}
	if dirCallKey(Engine{Address: "unix:///fwd/engine.sock", Gateway: "127.0.0.1:9"}) != "gateway:127.0.0.1:9" ||
		dirCallKey(Engine{Address: "unix:///e.sock"}) != "unix:///e.sock" {
		t.Error("dirCallKey: a gateway's calls share its key, a direct engine's is its address")
	}
}

func TestHasDirArg(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "f.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--src", "."}, true},
		{[]string{"--src=./sub"}, true},
		{[]string{"--name", "x", "--src", "sub"}, true},
		{[]string{"--name", "x"}, false},
		{[]string{"--file", "f.txt"}, false},
		{[]string{"--token", "env:SUB"}, false},
		{[]string{"--token", "file:f.txt"}, false},
		{[]string{"--src", "file://./sub"}, true},
		{[]string{"."}, false},
		{[]string{"--src", "https://example.test/r.git"}, false},
	} {
		if got := hasDirArg(root, &spec.Call{Function: "f", Args: tc.args}); got != tc.want {
			t.Errorf("hasDirArg(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
