package config

// Cache configures the persistent render cache (docs/cache.md). Both keys
// are honoured only from a trusted source: an untrusted checkout cannot
// choose where the cache lives or how large it grows.
type Cache struct {
	// Dir is the cache directory; the render cache lives in its render/
	// subdirectory. Default: the user cache dir's render-check (the
	// --cache-dir flag and RENDER_CHECK_CACHE_DIR take precedence).
	Dir string `json:"dir,omitempty"`
	// MaxSize bounds the render cache's entries per namespace, in bytes,
	// least recently used evicted first. Default 512 MiB.
	MaxSize int64 `json:"maxSize,omitempty"`
}
