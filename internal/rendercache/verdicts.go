package rendercache

import (
	"fmt"
	"sync/atomic"
)

// Verdicts is the store of the check stages' verdicts (schema problems,
// secret-scan hits, registry answers), kept beside the render cache in
// <dir>/verdicts/<trusted|untrusted>/pack-*.rcp: same checks, packs, trust
// split and size bound as render entries. A stage
// keys a verdict by everything that determines it (start with NewKey, which
// holds the format version and render-check's build) and stores its own
// encoding (Encoder) of what it would report; it never stores anything a
// report would not show (no secret value).
//
// A nil *Verdicts is a store that holds nothing (--no-cache).
type Verdicts struct {
	store
	hits, misses atomic.Int64
}

// Verdicts returns the cache's verdict store (nil for a nil cache).
func (c *Cache) Verdicts() *Verdicts {
	if c == nil {
		return nil
	}
	return c.verdicts
}

// Get returns the verdict stored under k (trusted namespace first). A
// corrupt, truncated, foreign or outdated entry is a miss, counted for
// Notes.
func (v *Verdicts) Get(k Key) ([]byte, bool) {
	if v == nil {
		return nil, false
	}
	b, ok := v.get(k)
	if ok {
		v.hits.Add(1)
	} else {
		v.misses.Add(1)
	}
	return b, ok
}

// Put stores a verdict under k in the namespace the run writes. A verdict
// that cannot be written only costs the next run time: the error is
// dropped.
func (v *Verdicts) Put(k Key, payload []byte) {
	if v == nil {
		return
	}
	_ = v.put(k, payload)
}

// Corrupt counts an entry that Get returned but whose payload does not
// decode (the stage's own decoding failed): it is a miss, reported by
// Notes.
func (v *Verdicts) Corrupt() {
	if v != nil {
		v.ignored.Add(1)
		v.Stale()
	}
}

// Stale counts an entry that Get returned but that its stage does not use
// (too old): a miss.
func (v *Verdicts) Stale() {
	if v != nil {
		v.hits.Add(-1)
		v.misses.Add(1)
	}
}

// Counts returns how many lookups found a verdict and how many did not.
func (v *Verdicts) Counts() (hits, misses int) {
	if v == nil {
		return 0, 0
	}
	return int(v.hits.Load()), int(v.misses.Load())
}

// Notes say what went wrong with the verdict store in this run (one note
// for all ignored entries).
func (v *Verdicts) Notes() []string {
	if v == nil {
		return nil
	}
	if n := v.ignored.Load(); n > 0 {
		return []string{fmt.Sprintf("verdict cache: ignored %d corrupt, truncated, foreign or outdated entries in %s (checked again and rewritten)", n, v.dir)}
	}
	return nil
}
