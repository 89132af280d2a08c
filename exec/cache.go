package exec

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pinline/pinline/internal/atomicfile"
)

// DefaultCacheEntries is the in-memory size of a ConfigCache.
const DefaultCacheEntries = 100

// CacheDir is the on-disk configuration cache, relative to the project.
const CacheDir = ".pinline/exec-cache"

// ConfigCache keeps the resolved container configuration (the install
// of detected packages) per preset image and package set: an in-memory LRU
// in front of one JSON file per entry in a directory. It is safe for
// concurrent use.
type ConfigCache struct {
	dir string
	max int
	now func() time.Time

	mu    sync.Mutex
	lru   *list.List // of *CacheEntry, most recent first
	byKey map[string]*list.Element
	stats CacheStats
}

// CacheEntry is one cached configuration.
type CacheEntry struct {
	Key        string    `json:"key"`
	Preset     string    `json:"preset"`
	Image      string    `json:"image"`
	Imports    []string  `json:"imports"`
	Install    Install   `json:"install"`
	Hits       int       `json:"hits"`
	LastAccess time.Time `json:"lastAccess"`
}

// CacheStats counts lookups (since the cache was opened) and entries.
type CacheStats struct {
	Hits       int          `json:"hits"`
	Misses     int          `json:"misses"`
	Memory     int          `json:"memoryEntries"`
	Disk       int          `json:"diskEntries"`
	MaxEntries int          `json:"maxEntries"`
	Entries    []CacheEntry `json:"entries"`
}

// NewConfigCache opens the cache in dir (created on first write; "" keeps
// it in memory only) with at most max entries in memory (0: default).
func NewConfigCache(dir string, max int) *ConfigCache {
	if max <= 0 {
		max = DefaultCacheEntries
	}
	return &ConfigCache{dir: dir, max: max, now: time.Now, lru: list.New(), byKey: map[string]*list.Element{}}
}

// resolverVersion is part of every key: entries made by another version of
// Resolve are not served.
const resolverVersion = "2"

func cacheKey(p Preset, imports []string) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s\x00%s", resolverVersion, p.Name, p.Image, p.Packages, strings.Join(imports, "\x00")))
	return hex.EncodeToString(h[:])
}

// Get returns the configuration for a preset and import set, counting the
// hit; disk entries are loaded into memory.
func (c *ConfigCache) Get(p Preset, imports []string) (Install, bool) {
	key := cacheKey(p, imports)
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		e, err := c.load(key)
		if err != nil {
			c.stats.Misses++
			return Install{}, false
		}
		el = c.insert(e)
	}
	e := el.Value.(*CacheEntry)
	c.lru.MoveToFront(el)
	e.Hits++
	e.LastAccess = c.now().UTC()
	c.stats.Hits++
	c.save(e)
	return e.Install, true
}

// Put stores a configuration.
func (c *ConfigCache) Put(p Preset, imports []string, in Install) {
	key := cacheKey(p, imports)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &CacheEntry{Key: key, Preset: p.Name, Image: p.Image, Imports: slices.Clone(imports), Install: in, LastAccess: c.now().UTC()}
	if el, ok := c.byKey[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
	} else {
		c.insert(e)
	}
	c.save(e)
}

func (c *ConfigCache) insert(e *CacheEntry) *list.Element {
	el := c.lru.PushFront(e)
	c.byKey[e.Key] = el
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.byKey, old.Value.(*CacheEntry).Key)
	}
	return el
}

func (c *ConfigCache) path(key string) string { return filepath.Join(c.dir, key+".json") }

func (c *ConfigCache) load(key string) (*CacheEntry, error) {
	if c.dir == "" {
		return nil, os.ErrNotExist
	}
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil, err
	}
	var e CacheEntry
	if err := json.Unmarshal(b, &e); err != nil || e.Key != key {
		return nil, fmt.Errorf("cache entry %s: unreadable", key)
	}
	return &e, nil
}

// save writes an entry; the disk copy is best effort (the memory copy
// serves either way).
func (c *ConfigCache) save(e *CacheEntry) {
	if c.dir == "" {
		return
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return
	}
	_ = atomicfile.Write(c.path(e.Key), append(b, '\n'), 0o644)
}

// Stats returns the counters and every entry (memory and disk), most
// recently used first.
func (c *ConfigCache) Stats() (CacheStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Memory, s.MaxEntries = c.lru.Len(), c.max
	seen := map[string]bool{}
	for el := c.lru.Front(); el != nil; el = el.Next() {
		e := *el.Value.(*CacheEntry)
		s.Entries = append(s.Entries, e)
		seen[e.Key] = true
	}
	if c.dir != "" {
		names, err := os.ReadDir(c.dir)
		if err != nil && !os.IsNotExist(err) {
			return s, err
		}
		for _, n := range names {
			key, ok := strings.CutSuffix(n.Name(), ".json")
			if !ok {
				continue
			}
			s.Disk++
			if seen[key] {
				continue
			}
			if e, err := c.load(key); err == nil {
				s.Entries = append(s.Entries, *e)
			}
		}
	}
	slices.SortStableFunc(s.Entries, func(a, b CacheEntry) int { return b.LastAccess.Compare(a.LastAccess) })
	return s, nil
}

// Clear removes every entry, in memory and on disk, and returns how many
// disk entries it removed.
func (c *ConfigCache) Clear() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Init()
	c.byKey = map[string]*list.Element{}
	c.stats = CacheStats{}
	if c.dir == "" {
		return 0, nil
	}
	names, err := os.ReadDir(c.dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range names {
		if strings.HasSuffix(e.Name(), ".json") {
			if err := os.Remove(filepath.Join(c.dir, e.Name())); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
