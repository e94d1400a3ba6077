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
// Entries live in <dir>/render/<trusted|untrusted>/<2 hex>/<key>, written
// as temp file + rename (safe between concurrent jobs sharing the
// directory). A trusted run reads and writes trusted/ only; an untrusted run
// (a pull request) reads both and writes untrusted/ only, so it can never
// poison what trusted runs read. Every entry carries a header (format
// version, key, sha256 of the payload): a corrupt, truncated, foreign or
// outdated entry is ignored (and counted) and overwritten.
package rendercache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"
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

	hits, misses, uncacheable atomic.Int64
}

// store is one directory of entries (<cache dir>/<name>/<namespace>/<2
// hex>/<key>) with the header, temp+rename writes, trust split and LRU trim
// shared by the render cache and the verdict store.
type store struct {
	dir     string
	write   string   // namespace written
	read    []string // namespaces read, in order
	maxSize int64

	ignored atomic.Int64
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
	v := &Verdicts{}
	if err := v.open(abs, "verdicts", o); err != nil {
		return nil, fmt.Errorf("verdict cache: %w", err)
	}
	c.verdicts = v
	return c, nil
}

// Dir is the render cache directory (<cache dir>/render).
func (c *Cache) Dir() string { return c.dir }

func (c *store) path(ns string, k Key) string {
	s := k.String()
	return filepath.Join(c.dir, ns, s[:2], s)
}

// header layout: magic, format version, key, sha256 of the payload, length.
var magic = [8]byte{'R', 'C', 'R', 'E', 'N', 'D', 'E', 'R'}

const headerSize = 8 + 4 + 32 + 32 + 8

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

// get returns the payload stored under k, reading the trusted namespace
// first; a bad entry is counted as ignored, a missing one is not.
func (c *store) get(k Key) ([]byte, bool) {
	for _, ns := range c.read {
		payload, err := c.load(c.path(ns, k), k)
		if err == nil {
			if ns == c.write {
				now := time.Now()
				_ = os.Chtimes(c.path(ns, k), now, now) // recently used
			}
			return payload, true
		}
		if !errors.Is(err, fs.ErrNotExist) {
			c.ignored.Add(1)
		}
	}
	return nil, false
}

func (c *store) load(p string, k Key) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() < headerSize || st.Size() > maxEntrySize {
		return nil, ErrCorrupt
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, ErrCorrupt
	}
	h := data[:headerSize]
	payload := data[headerSize:]
	var key Key
	copy(key[:], h[12:44])
	switch {
	case !bytes.Equal(h[:8], magic[:]):
		return nil, ErrCorrupt
	case binary.LittleEndian.Uint32(h[8:12]) != FormatVersion:
		return nil, ErrCorrupt
	case key != k:
		return nil, ErrCorrupt // foreign: another key's entry
	case binary.LittleEndian.Uint64(h[76:84]) != uint64(len(payload)):
		return nil, ErrCorrupt // truncated
	}
	sum := sha256.Sum256(payload)
	if !bytes.Equal(sum[:], h[44:76]) {
		return nil, ErrCorrupt
	}
	return payload, nil
}

// Put stores e under k in the written namespace (temp file + rename).
func (c *Cache) Put(k Key, e *Entry) error {
	if err := c.put(k, e.encode()); err != nil {
		return fmt.Errorf("render cache: %w", err)
	}
	return nil
}

// put stores payload under k in the written namespace (temp file +
// rename); a payload over the entry bound is not stored.
func (c *store) put(k Key, payload []byte) error {
	if len(payload)+headerSize > maxEntrySize {
		return nil
	}
	buf := make([]byte, 0, headerSize+len(payload))
	buf = append(buf, magic[:]...)
	buf = binary.LittleEndian.AppendUint32(buf, FormatVersion)
	buf = append(buf, k[:]...)
	sum := sha256.Sum256(payload)
	buf = append(buf, sum[:]...)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(payload)))
	buf = append(buf, payload...)
	p := c.path(c.write, k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(buf)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), p)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return werr
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
	if n := c.ignored.Load(); n > 0 {
		return []string{fmt.Sprintf("render cache: ignored %d corrupt, truncated, foreign or outdated entries in %s (rendered again and rewritten)", n, c.dir)}
	}
	return nil
}

// Trim evicts the least recently used entries of the written namespace
// (of the render cache and of the verdict store, each bounded by the
// maximum size) and removes stale temp files.
func (c *Cache) Trim() error {
	if err := c.trim(); err != nil {
		return fmt.Errorf("render cache: %w", err)
	}
	if c.verdicts != nil {
		if err := c.verdicts.trim(); err != nil {
			return fmt.Errorf("verdict cache: %w", err)
		}
	}
	return nil
}

func (c *store) trim() error {
	type file struct {
		path string
		size int64
		mod  time.Time
	}
	var files []file
	var total int64
	base := filepath.Join(c.dir, c.write)
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			if time.Since(info.ModTime()) > time.Hour {
				_ = os.Remove(p) // a crashed writer's
			}
			return nil
		}
		files = append(files, file{p, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if err != nil {
		return err
	}
	if total <= c.maxSize {
		return nil
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.Before(files[j].mod)
		}
		return files[i].path < files[j].path
	})
	for _, f := range files {
		if total <= c.maxSize {
			break
		}
		if err := os.Remove(f.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= f.size
		}
	}
	return nil
}
