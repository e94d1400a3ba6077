// Package rendercache is the content-addressed, persistent cache of app
// renders: an app whose inputs did not change since a previous run is not
// rendered again.
//
// A Key hashes everything known before rendering (render-check's build, the
// Application, the cluster's versions, the configuration); the Entry stored
// under it lists the inputs the render actually read with their hashes, and
// the result. A lookup verifies every input against the checkout (git blob
// ids, directory listings, chart archives) before the result is used.
//
// Entries live in pack files, <dir>/render/<trusted|untrusted>/pack-*.rcp
// (pack.go): a run appends what it stores to one temporary file and renames
// it into place when it closes, so jobs sharing the directory never see a
// half-written pack. A trusted run reads and writes trusted/ only; an
// untrusted run (a pull request) reads both and writes untrusted/ only, so
// it can never poison what trusted runs read. Every pack and record is
// checked (format version, key, sha256 of the payload): a corrupt,
// truncated, foreign or outdated one is ignored (and counted), and the
// entry stored again.
package rendercache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// DefaultMaxSize bounds the cache's disk use per namespace (cache.maxSize).
const DefaultMaxSize int64 = 512 << 20

// maxEntrySize bounds one entry read (a hostile cache file cannot exhaust
// memory); larger entries are neither read nor written.
const maxEntrySize = 256 << 20

// Namespaces of the cache.
const (
	Trusted   = "trusted"
	Untrusted = "untrusted"
)

// Options configure Open.
type Options struct {
	// Dir is the cache directory (the render cache lives in its render/
	// subdirectory).
	Dir string
	// Untrusted is true on an untrusted run.
	Untrusted bool
	// MaxSize bounds the entries of the written namespace, in bytes
	// (0: DefaultMaxSize).
	MaxSize int64
}

// Cache is an opened render cache, shared by the apps of one run.
type Cache struct {
	store
	// verdicts is the sibling store of the check stages' verdicts.
	verdicts *Verdicts
	// files is the sibling store of results derived from files (Files).
	files *Files

	hits, misses, uncacheable atomic.Int64
}

// store is one directory of packs (<cache dir>/<name>/<namespace>/pack-*.rcp)
// with the checks, one pack written per run, trust split and LRU trim shared
// by the render cache, the verdict store and the per-file store.
type store struct {
	dir     string
	write   string   // namespace written
	read    []string // namespaces read, in order
	maxSize int64

	ignored atomic.Int64

	loadOnce sync.Once
	packs    []*pack       // of the namespaces read: trusted first, newest first
	index    map[Key][]loc // the records of each key in packs, newest first
	mu       sync.Mutex    // guards out, used and closed
	out      *packWriter   // the pack this run writes (nil until a put)
	used     map[Key]*pack // keys read from packs in this run, and where
	closed   bool
}

func (s *store) open(abs, name string, o Options) error {
	s.dir, s.write, s.read, s.maxSize = filepath.Join(abs, name), Trusted, []string{Trusted}, o.MaxSize
	if o.Untrusted {
		s.write, s.read = Untrusted, []string{Trusted, Untrusted}
	}
	if s.maxSize <= 0 {
		s.maxSize = DefaultMaxSize
	}
	return os.MkdirAll(filepath.Join(s.dir, s.write), 0o755)
}

// Stats count what the cache did in one run.
type Stats struct {
	// Hits are apps whose stored result was used.
	Hits int `json:"hits"`
	// Misses are apps rendered (their result stored when cacheable).
	Misses int `json:"misses"`
	// Uncacheable are rendered apps whose result may not be stored (a
	// failed render, an unpinned remote fetch); counted in Misses too.
	Uncacheable int `json:"uncacheable,omitempty"`
	// Ignored are corrupt, truncated, foreign or outdated entries met.
	Ignored int `json:"ignored,omitempty"`
}

// Open opens (creating) the cache under dir: the render cache in its
// render/ subdirectory and the verdict store in verdicts/.
func Open(o Options) (*Cache, error) {
	if o.Dir == "" {
		return nil, errors.New("render cache: no directory")
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("render cache: %w", err)
	}
	c := &Cache{}
	if err := c.open(abs, "render", o); err != nil {
		return nil, fmt.Errorf("render cache: %w", err)
	}
	memo := c.nsDir(c.write)
	exeMemoDir.Store(&memo)
	// every key needs the build's identity: work it out (hashing a
	// development build's executable when nothing remembers it) while the
	// run lists and parses the repo
	go BuildID()
	v := &Verdicts{}
	if err := v.open(abs, "verdicts", o); err != nil {
		return nil, fmt.Errorf("verdict cache: %w", err)
	}
	c.verdicts = v
	f := &Files{}
	if err := f.open(abs, "files", o); err != nil {
		return nil, fmt.Errorf("render cache: %w", err)
	}
	c.files = f
	return c, nil
}

// Dir is the render cache directory (<cache dir>/render).
func (c *Cache) Dir() string { return c.dir }

// Get returns the entry stored under k, reading the trusted namespace first.
// A bad entry is counted as ignored; a missing one is not.
func (c *Cache) Get(k Key) (*Entry, bool) {
	payload, ok := c.get(k)
	if !ok {
		return nil, false
	}
	e, err := decodeEntry(payload)
	if err != nil {
		c.ignored.Add(1)
		return nil, false
	}
	return e, true
}

// Put stores e under k in the written namespace (in this run's pack,
// written by Close).
func (c *Cache) Put(k Key, e *Entry) error {
	if err := c.put(k, e.encode()); err != nil {
		return fmt.Errorf("render cache: %w", err)
	}
	return nil
}

// Hit counts an app served from the cache.
func (c *Cache) Hit() { c.hits.Add(1) }

// Miss counts an app rendered; uncacheable when its result may not be stored.
func (c *Cache) Miss(uncacheable bool) {
	c.misses.Add(1)
	if uncacheable {
		c.uncacheable.Add(1)
	}
}

// Stats returns the counts so far.
func (c *Cache) Stats() Stats {
	return Stats{Hits: int(c.hits.Load()), Misses: int(c.misses.Load()),
		Uncacheable: int(c.uncacheable.Load()), Ignored: int(c.ignored.Load())}
}

// Notes say what went wrong with the cache in this run (one note for all
// ignored entries).
func (c *Cache) Notes() []string {
	var notes []string
	if n := c.ignored.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("render cache: ignored %d corrupt, truncated, foreign or outdated entries in %s (rendered again and rewritten)", n, c.dir))
	}
	return append(notes, c.files.notes()...)
}

// Close stores what this run put (one pack file per store), marks the
// packs it used as recently used and evicts the least recently used
// entries over the size bound, for the render cache, the verdict store and
// the per-file store. The cache is not used after Close.
func (c *Cache) Close() error {
	if err := c.close(); err != nil {
		return fmt.Errorf("render cache: %w", err)
	}
	if c.verdicts != nil {
		if err := c.verdicts.close(); err != nil {
			return fmt.Errorf("verdict cache: %w", err)
		}
	}
	if c.files != nil {
		if err := c.files.close(); err != nil {
			return fmt.Errorf("render cache: %w", err)
		}
	}
	return nil
}
