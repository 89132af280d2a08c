package exec

import (
	"testing"
	"time"
)

func TestConfigCache(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewConfigCache(dir, 2)
	c.now = func() time.Time { now = now.Add(time.Second); return now }
	py := Preset{Name: "python", Image: "r/p@" + testDigest, Packages: "python"}
	in, _ := Resolve("python", []string{"requests"})
	if _, ok := c.Get(py, []string{"requests"}); ok {
		t.Fatal("hit on an empty cache")
	}
	c.Put(py, []string{"requests"}, in)
	got, ok := c.Get(py, []string{"requests"})
	if !ok || got.Packages["requests"] != "python3-requests" {
		t.Fatalf("Get = %+v %v", got, ok)
	}
	// Another image is another key.
	py2 := py
	py2.Image = "r/p2@" + testDigest
	if _, ok := c.Get(py2, []string{"requests"}); ok {
		t.Error("hit for another image")
	}
	// LRU: the third entry evicts the least recently used from memory;
	// the disk copy still serves (and counts) it.
	c.Put(py, []string{"numpy"}, Install{})
	c.Put(py, []string{"yaml"}, Install{})
	if n := c.lru.Len(); n != 2 {
		t.Errorf("memory entries = %d, want 2", n)
	}
	if _, ok := c.Get(py, []string{"requests"}); !ok {
		t.Error("evicted entry not served from disk")
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Hits != 2 || st.Misses != 2 || st.Disk != 3 || st.Memory != 2 || len(st.Entries) != 3 {
		t.Errorf("stats = %+v", st)
	}
	if e := st.Entries[0]; e.Imports[0] != "requests" || e.Hits != 2 || !e.LastAccess.Equal(now) {
		t.Errorf("most recent entry = %+v (now %s)", e, now)
	}
	// A fresh cache over the same directory sees the entries.
	c2 := NewConfigCache(dir, 0)
	if _, ok := c2.Get(py, []string{"numpy"}); !ok {
		t.Error("disk entry not found by a new cache")
	}
	if n, err := c2.Clear(); err != nil || n != 3 {
		t.Errorf("Clear = %d, %v", n, err)
	}
	if st, _ := c2.Stats(); st.Disk != 0 || st.Memory != 0 {
		t.Errorf("after Clear: %+v", st)
	}
}
