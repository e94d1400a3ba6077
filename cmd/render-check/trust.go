package main

import (
	"github.com/spf13/pflag"

	"github.com/render-check/render-check/internal/config"
)

// configFlags are the flags every command reading the repo shares: where
// the configuration comes from and how far the checkout is trusted.
type configFlags struct {
	path      string
	trusted   bool
	untrusted bool
	network   string
}

func (c *configFlags) add(f *pflag.FlagSet) {
	f.StringVar(&c.path, "config", "", "config file (default <root>/"+config.FileName+" if present; on an untrusted run a file inside the root is untrusted)")
	f.BoolVar(&c.trusted, "trusted", false, "trust the checkout's own config even under CI on a pull request")
	f.BoolVar(&c.untrusted, "untrusted", false, "treat the checkout as hostile: settings from its own config that grant trust are ignored, nothing remote is fetched unless --network allows it (default under CI on a pull/merge request event)")
	f.StringVar(&c.network, "network", "", "remote fetches (charts, value files, kustomize remote bases): all, off, or a comma-separated host list (default all; off on an untrusted run)")
}

// loadOptions turns the flags into config.LoadOptions for root.
func (c *configFlags) loadOptions(root string) (config.LoadOptions, error) {
	o := config.LoadOptions{Root: root, Path: c.path, Network: c.network}
	switch {
	case c.trusted && c.untrusted:
		return o, usageErrorf("--trusted and --untrusted are exclusive")
	case c.trusted:
		o.Trust = config.TrustTrusted
	case c.untrusted:
		o.Trust = config.TrustUntrusted
	}
	return o, nil
}
