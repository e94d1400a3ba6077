package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/rendercache"
)

// cacheEnv names the render cache directory when --cache-dir is not given.
const cacheEnv = "RENDER_CHECK_CACHE_DIR"

// cacheFlags choose the render cache of the commands that render.
type cacheFlags struct {
	dir string
	off bool
}

func (c *cacheFlags) add(f *pflag.FlagSet) {
	f.StringVar(&c.dir, "cache-dir", "", "cache directory, kept between runs so unchanged apps are not rendered again and unchanged content is not validated or scanned again (default $"+cacheEnv+", else config cache.dir from a trusted config, else the user cache dir's render-check; see docs/cache.md)")
	f.BoolVar(&c.off, "no-cache", false, "render and check everything: neither read nor write the render and verdict caches")
}

// open opens the render cache (nil with --no-cache). The directory comes
// from the flag, the environment or a trusted config, never from an
// untrusted checkout's own file (config drops it). A cache that cannot be
// opened is not an error: the run renders everything and says so on errOut.
func (c *cacheFlags) open(cfg *config.Config, errOut io.Writer) *rendercache.Cache {
	if c.off {
		return nil
	}
	dir := c.dir
	if dir == "" {
		dir = os.Getenv(cacheEnv)
	}
	if dir == "" {
		dir = cfg.Cache.Dir
	}
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil
		}
		dir = filepath.Join(base, "render-check")
	}
	rc, err := rendercache.Open(rendercache.Options{Dir: dir, Untrusted: cfg.Trust.Untrusted, MaxSize: cfg.Cache.MaxSize})
	if err != nil {
		fmt.Fprintf(errOut, "note: %v: rendering without a cache\n", err)
		return nil
	}
	return rc
}

// closeCache writes what the run stored and evicts what exceeds the
// cache's size bound after a run.
func closeCache(rc *rendercache.Cache, errOut io.Writer) {
	if rc == nil {
		return
	}
	if err := rc.Close(); err != nil {
		fmt.Fprintf(errOut, "note: %v\n", err)
	}
}
