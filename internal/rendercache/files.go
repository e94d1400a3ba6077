package rendercache

import (
	"fmt"
	"os"
	"path/filepath"
)

// openFiles opens the sibling store of per-file results, <cache dir>/files:
// the same entry format, trust split, size bound and eviction as the render
// entries, in its own directory.
func (c *Cache) openFiles(abs string) error {
	c.files = &Cache{dir: filepath.Join(abs, "files"), write: c.write, read: c.read, maxSize: c.maxSize}
	if err := os.MkdirAll(filepath.Join(c.files.dir, c.write), 0o755); err != nil {
		return fmt.Errorf("render cache: %w", err)
	}
	return nil
}

// Files is the store of results derived from files' content alone (the
// Applications parsed from a cluster's files), keyed by the content
// hashes, next to the render entries. Its Get and Put work as the render store's; its hits
// and misses are not counted in Stats.
func (c *Cache) Files() *Cache {
	if c.files == nil {
		return c
	}
	return c.files
}

// filesNotes is the note on the per-file store's ignored entries.
func (c *Cache) filesNotes() []string {
	if c.files == nil {
		return nil
	}
	if n := c.files.ignored.Load(); n > 0 {
		return []string{fmt.Sprintf("render cache: ignored %d corrupt, truncated, foreign or outdated entries in %s (parsed again and rewritten)", n, c.files.dir)}
	}
	return nil
}
