package registry

import (
	"crypto/x509"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/render-check/render-check/internal/rendercache"
)

// Defaults of a Client; each has an Option to change it.
const (
	DefaultConcurrency = 16
	DefaultRetries     = 3
	DefaultTimeout     = 30 * time.Second
	DefaultBackoff     = 250 * time.Millisecond
	DefaultMaxBackoff  = 10 * time.Second
	// DefaultMaxRetryAfter caps how long a Retry-After header may make us
	// wait; a registry asking for longer gets its error reported instead.
	DefaultMaxRetryAfter = 60 * time.Second
	DefaultUserAgent     = "render-check"
	// DefaultTagTTL is how long a tag found in its registry is believed
	// from the verdict cache (a tag can be deleted or moved).
	DefaultTagTTL = 10 * time.Minute
	// DefaultDigestTTL is how long a digest found in its registry is
	// believed from the verdict cache (its content cannot change; only a
	// deletion can make it go).
	DefaultDigestTTL = 24 * time.Hour
)

// Option configures a Client.
type Option func(*options)

type options struct {
	keychain      authn.Keychain
	insecure      map[string]bool
	caPool        *x509.CertPool
	caErr         error
	mirrors       map[string][]string
	concurrency   int
	rate          float64
	burst         int
	retries       int
	backoff       time.Duration
	maxBackoff    time.Duration
	maxRetryAfter time.Duration
	timeout       time.Duration
	transport     http.RoundTripper
	userAgent     string
	cacheDir      string
	verdicts      *rendercache.Verdicts
	tagTTL        time.Duration
	digestTTL     time.Duration
	now           func() time.Time
}

func defaultOptions() *options {
	return &options{
		keychain:      authn.DefaultKeychain,
		insecure:      map[string]bool{},
		mirrors:       map[string][]string{},
		concurrency:   DefaultConcurrency,
		retries:       DefaultRetries,
		backoff:       DefaultBackoff,
		maxBackoff:    DefaultMaxBackoff,
		maxRetryAfter: DefaultMaxRetryAfter,
		timeout:       DefaultTimeout,
		userAgent:     DefaultUserAgent,
		tagTTL:        DefaultTagTTL,
		digestTTL:     DefaultDigestTTL,
		now:           time.Now,
	}
}

// WithKeychain sets where credentials come from. Default:
// authn.DefaultKeychain (docker config.json and credential helpers). Use
// authn.NewMultiKeychain(EnvKeychain(...), authn.DefaultKeychain) to add
// credentials from the environment.
func WithKeychain(kc authn.Keychain) Option {
	return func(o *options) {
		if kc != nil {
			o.keychain = kc
		}
	}
}

// WithInsecure marks registry hosts ("host" or "host:port") that may be
// reached over plain HTTP and whose TLS certificates are not verified. It
// applies to those hosts only; every other host is verified as usual.
func WithInsecure(hosts ...string) Option {
	return func(o *options) {
		for _, h := range hosts {
			if h = normalizeHost(h); h != "" {
				o.insecure[h] = true
			}
		}
	}
}

// WithCABundle adds PEM certificates to the system roots for TLS
// verification (e.g. a company CA). Invalid PEM makes New's client fail
// every check with a clear error rather than silently ignoring it.
func WithCABundle(pem []byte) Option {
	return func(o *options) {
		if len(pem) == 0 {
			return
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			o.caErr = errNoCertificates
			return
		}
		o.caPool = pool
	}
}

// WithMirrors maps a registry host to mirrors ("host[:port][/path-prefix]")
// that are checked instead of it, in order: the first mirror that gives a
// definite answer (found, not found, platform or digest problems) wins.
// "docker.io" and "index.docker.io" are the same registry. The upstream is
// not contacted unless it is listed as a mirror of itself.
func WithMirrors(m map[string][]string) Option {
	return func(o *options) {
		for k, v := range m {
			o.mirrors[normalizeHost(k)] = append([]string(nil), v...)
		}
	}
}

// WithConcurrency bounds concurrent registry checks (default 16).
func WithConcurrency(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.concurrency = n
		}
	}
}

// WithRateLimit limits requests per registry host to perSecond with the
// given burst (0 = no limit, the default).
func WithRateLimit(perSecond float64, burst int) Option {
	return func(o *options) {
		o.rate = perSecond
		o.burst = max(burst, 1)
	}
}

// WithRetries sets how many times a request is retried after a 429, a 5xx,
// a timeout or a connection failure (default 3), with exponential backoff
// starting at base and capped at maxDelay, plus jitter. A Retry-After header
// is honoured up to DefaultMaxRetryAfter. Zero durations keep the defaults.
func WithRetries(n int, base, maxDelay time.Duration) Option {
	return func(o *options) {
		if n >= 0 {
			o.retries = n
		}
		if base > 0 {
			o.backoff = base
		}
		if maxDelay > 0 {
			o.maxBackoff = maxDelay
		}
	}
}

// WithTimeout bounds each HTTP request (default 30s). Bound a whole run with
// the context passed to Check.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithTransport replaces the base HTTP transport (default: a clone of
// http.DefaultTransport with the CA bundle and insecure hosts applied).
// Retries, rate limiting and timeouts are still layered on top.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) { o.transport = t }
}

// WithUserAgent sets the User-Agent sent to registries.
func WithUserAgent(ua string) Option {
	return func(o *options) {
		if ua != "" {
			o.userAgent = ua
		}
	}
}

// WithCacheDir keeps results of digest-pinned references that were found in
// dir across runs (a digest cannot change). Only positive results are cached.
func WithCacheDir(dir string) Option {
	return func(o *options) { o.cacheDir = dir }
}

// WithVerdicts keeps the references found in their registry in the verdict
// cache across runs: a reference found less than tagTTL ago (a tag, also
// with a digest) or digestTTL ago (a digest alone) is not asked again.
// Only "found" is kept: a missing tag, a denied access or a network error
// is asked again on every run, so a tag pushed a minute later is seen. The
// key holds the registry, repository, tag and digest, the required
// platforms, the mirrors and insecure setting of the host and whether the
// client holds credentials for it (never the credentials). A TTL <= 0
// keeps none of that kind.
func WithVerdicts(v *rendercache.Verdicts, tagTTL, digestTTL time.Duration) Option {
	return func(o *options) { o.verdicts, o.tagTTL, o.digestTTL = v, tagTTL, digestTTL }
}

// WithClock sets the clock the verdict cache's TTLs are measured with
// (tests).
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// normalizeHost lower-cases a host and folds Docker Hub's aliases.
func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.TrimPrefix(h, "https://")
	h = strings.TrimPrefix(h, "http://")
	h = strings.TrimSuffix(h, "/")
	switch h {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return "index.docker.io"
	}
	return h
}
