package rendercache

import "fmt"

// Files is the store of results derived from files' content alone (the
// Applications parsed from a cluster's files), keyed by that content's
// hashes, kept beside the render cache in
// <dir>/files/<trusted|untrusted>/pack-*.rcp: same checks, packs, trust
// split and size bound as render entries. Its user encodes the payload (Encoder).
//
// A nil *Files holds nothing (--no-cache).
type Files struct {
	store
}

// Files returns the cache's per-file store (nil for a nil cache).
func (c *Cache) Files() *Files {
	if c == nil {
		return nil
	}
	return c.files
}

// Get returns the payload stored under k (trusted namespace first). A
// corrupt, truncated, foreign or outdated entry is a miss, counted for the
// cache's Notes.
func (f *Files) Get(k Key) ([]byte, bool) {
	if f == nil {
		return nil, false
	}
	return f.get(k)
}

// Put stores a payload under k in the namespace the run writes; one that
// cannot be written only costs the next run time.
func (f *Files) Put(k Key, payload []byte) {
	if f == nil {
		return
	}
	_ = f.put(k, payload)
}

// Corrupt counts an entry that Get returned but whose payload does not
// decode: a miss, reported by Notes.
func (f *Files) Corrupt() {
	if f != nil {
		f.ignored.Add(1)
	}
}

// notes is the note on the store's ignored entries.
func (f *Files) notes() []string {
	if f == nil {
		return nil
	}
	if n := f.ignored.Load(); n > 0 {
		return []string{fmt.Sprintf("render cache: ignored %d corrupt, truncated, foreign or outdated entries in %s (parsed again and rewritten)", n, f.dir)}
	}
	return nil
}
