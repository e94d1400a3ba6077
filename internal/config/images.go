package config

// Images configures the image existence check.
type Images struct {
	// Mode is verify, warn or off. Default: verify.
	Mode string `json:"mode,omitempty"`
	// Skip are image reference globs that are not checked, matched against
	// the reference as written and in canonical form
	// ("index.docker.io/library/nginx:1.27"); `*` stays within a path
	// segment, `**` crosses them.
	Skip []string `json:"skip,omitempty"`
	// Concurrency bounds concurrent registry requests. Default: 16.
	Concurrency int `json:"concurrency,omitempty"`
	// Insecure are registry hosts ("host" or "host:port") reached over plain
	// HTTP or without TLS verification. Only these hosts are affected.
	Insecure []string `json:"insecure,omitempty"`
	// CABundle is a PEM file (relative to the root, or absolute) of extra
	// certificate authorities trusted for registries.
	CABundle string `json:"caBundle,omitempty"`
	// Mirrors maps a registry to mirrors checked instead of it, e.g.
	// {"docker.io": ["mirror.local:5000"]}; a mirror may carry a path prefix.
	Mirrors map[string][]string `json:"mirrors,omitempty"`
	// Platforms every image must provide, e.g. ["linux/amd64", "linux/arm64"].
	// Default: none required.
	Platforms []string `json:"platforms,omitempty"`
	// Credentials name environment variables holding registry credentials,
	// used before docker's config.json and credential helpers.
	Credentials []ImageCredential `json:"credentials,omitempty"`
	// RateLimit caps requests per second to each registry (0: no limit).
	RateLimit float64 `json:"rateLimit,omitempty"`
	// Retries after a 429, 5xx, timeout or connection failure. Default: 3.
	Retries *int `json:"retries,omitempty"`
	// Timeout bounds each registry request, a Go duration. Default: "30s".
	Timeout string `json:"timeout,omitempty"`
	// TotalTimeout bounds the whole image check. Default: "10m".
	TotalTimeout string `json:"totalTimeout,omitempty"`
	// CacheDir keeps found digest-pinned references across runs (a digest
	// cannot change). Default: no cache.
	CacheDir string `json:"cacheDir,omitempty"`
	// TagCacheTTL is how long a tag found in its registry is believed from
	// the verdict cache (docs/cache.md), a Go duration; "0s" asks the
	// registry about every tag on every run. Default: "10m". Honoured only
	// from a trusted config.
	TagCacheTTL string `json:"tagCacheTTL,omitempty"`
}

// ImageCredential names the environment variables holding a registry's
// credentials. Values are never written to config or output.
type ImageCredential struct {
	// Registry is the host, e.g. "ghcr.io".
	Registry string `json:"registry"`
	// UsernameEnv names the username variable (optional for token registries).
	UsernameEnv string `json:"usernameEnv,omitempty"`
	// PasswordEnv names the password or token variable, e.g. "GITHUB_TOKEN".
	PasswordEnv string `json:"passwordEnv"`
}

func (i *Images) applyDefaults() {
	if i.Mode == "" {
		i.Mode = "verify"
	}
	if i.Concurrency == 0 {
		i.Concurrency = 16
	}
}
