package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
)

// diskCache remembers digest-pinned references that were found. A digest
// names immutable content, so a positive answer stays true (unless the
// registry deletes it, which the next uncached run will notice).
type diskCache struct{ dir string }

type cacheEntry struct {
	Key    string `json:"key"`
	Digest string `json:"digest"`
}

func (d *diskCache) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(d.dir, hex.EncodeToString(sum[:16])+".json")
}

func (d *diskCache) get(key string) (string, bool) {
	b, err := os.ReadFile(d.path(key))
	if err != nil {
		return "", false
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil || e.Key != key || e.Digest == "" {
		return "", false
	}
	return e.Digest, true
}

// put writes atomically; a cache that cannot be written only costs speed.
func (d *diskCache) put(key, digest string) {
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return
	}
	b, err := json.Marshal(cacheEntry{Key: key, Digest: digest})
	if err != nil {
		return
	}
	f, err := os.CreateTemp(d.dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(f.Name())
		return
	}
	if os.Rename(f.Name(), d.path(key)) != nil {
		_ = os.Remove(f.Name())
	}
}
