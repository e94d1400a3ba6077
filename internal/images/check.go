package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// Modes of the check.
const (
	ModeVerify = "verify"
	ModeWarn   = "warn"
	ModeOff    = "off"
)

// DefaultTotalTimeout bounds a whole check unless configured.
const DefaultTotalTimeout = 10 * time.Minute

// Options configure one image check.
type Options struct {
	// Root is the config repo checkout; finding files are relative to it.
	Root string
	// Config is the images section of the configuration.
	Config config.Images
	// Mode is verify or warn (warn reports registry failures as warnings).
	Mode string
	// Client replaces the registry client built from Config.
	Client *registry.Client
	// Getenv reads the credential variables named in Config (default os.Getenv).
	Getenv func(string) string
	// Progress, when set, is told after each distinct image is checked how
	// many of the total are done.
	Progress func(done, total int)
	// Verdicts, when set, keeps found references across runs (see
	// registry.WithVerdicts; the tag TTL is Config.TagCacheTTL).
	Verdicts *rendercache.Verdicts
}

// NewClient builds the registry client described by cfg: credentials from
// the named environment variables, then docker's config and helpers;
// insecure hosts, CA bundle (relative to root), mirrors, concurrency, rate
// limit, retries, per-request timeout and digest cache.
//
// extra options are applied after those of cfg.
func NewClient(root string, cfg config.Images, getenv func(string) string, extra ...registry.Option) (*registry.Client, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	creds := make([]registry.Credential, 0, len(cfg.Credentials))
	for _, c := range cfg.Credentials {
		if c.Registry == "" || c.PasswordEnv == "" {
			return nil, fmt.Errorf("images.credentials: registry and passwordEnv are required")
		}
		creds = append(creds, registry.Credential{Registry: c.Registry, UsernameEnv: c.UsernameEnv, PasswordEnv: c.PasswordEnv})
	}
	opts := []registry.Option{
		registry.WithKeychain(authn.NewMultiKeychain(registry.EnvKeychain(creds, getenv), authn.DefaultKeychain)),
		registry.WithInsecure(cfg.Insecure...),
		registry.WithMirrors(cfg.Mirrors),
		registry.WithConcurrency(cfg.Concurrency),
		registry.WithUserAgent("render-check"),
	}
	if cfg.CABundle != "" {
		p := cfg.CABundle
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, filepath.FromSlash(p))
		}
		pem, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("images.caBundle: %w", err)
		}
		opts = append(opts, registry.WithCABundle(pem))
	}
	if cfg.RateLimit < 0 {
		return nil, fmt.Errorf("images.rateLimit: must not be negative")
	}
	if cfg.RateLimit > 0 {
		opts = append(opts, registry.WithRateLimit(cfg.RateLimit, max(1, int(cfg.RateLimit))))
	}
	if cfg.Retries != nil {
		if *cfg.Retries < 0 {
			return nil, fmt.Errorf("images.retries: must not be negative")
		}
		opts = append(opts, registry.WithRetries(*cfg.Retries, 0, 0))
	}
	if cfg.Timeout != "" {
		d, err := time.ParseDuration(cfg.Timeout)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("images.timeout: want a positive duration like 30s, got %q", cfg.Timeout)
		}
		opts = append(opts, registry.WithTimeout(d))
	}
	if cfg.CacheDir != "" {
		dir := cfg.CacheDir
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, filepath.FromSlash(dir))
		}
		opts = append(opts, registry.WithCacheDir(dir))
	}
	c := registry.New(append(opts, extra...)...)
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("images.caBundle: %w", err)
	}
	return c, nil
}

// Platforms parses the configured platforms ("linux/arm64/v8").
func Platforms(ss []string) ([]v1.Platform, error) {
	out := make([]v1.Platform, 0, len(ss))
	for _, s := range ss {
		p, err := v1.ParsePlatform(s)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return nil, fmt.Errorf("bad platform %q (want os/arch[/variant])", s)
		}
		out = append(out, *p)
	}
	return out, nil
}

// group is one (reference, cluster, app): one finding each, however many
// containers use the reference.
type group struct {
	app *resource.App
	res *resource.Resource
	use Use
	ref registry.Ref
	err error
}

// Check verifies every image of clusters and returns findings. An error
// means the check could not run (bad configuration, cancelled context).
func Check(ctx context.Context, clusters []*resource.Cluster, opts Options) ([]report.Finding, error) {
	mode := opts.Mode
	if mode == "" {
		mode = ModeVerify
	}
	if mode != ModeVerify && mode != ModeWarn {
		return nil, fmt.Errorf("image check: unknown mode %q (want verify, warn or off)", mode)
	}
	for _, g := range opts.Config.Skip {
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("images.skip: bad glob %q", g)
		}
	}
	platforms, err := Platforms(opts.Config.Platforms)
	if err != nil {
		return nil, fmt.Errorf("images.platforms: %w", err)
	}
	total := DefaultTotalTimeout
	if opts.Config.TotalTimeout != "" {
		total, err = time.ParseDuration(opts.Config.TotalTimeout)
		if err != nil || total <= 0 {
			return nil, fmt.Errorf("images.totalTimeout: want a positive duration like 10m, got %q", opts.Config.TotalTimeout)
		}
	}
	client := opts.Client
	if client == nil {
		var extra []registry.Option
		if opts.Verdicts != nil {
			ttl := registry.DefaultTagTTL
			if opts.Config.TagCacheTTL != "" {
				if ttl, err = time.ParseDuration(opts.Config.TagCacheTTL); err != nil || ttl < 0 {
					return nil, fmt.Errorf("images.tagCacheTTL: want a duration like 10m, got %q", opts.Config.TagCacheTTL)
				}
			}
			extra = append(extra, registry.WithVerdicts(opts.Verdicts, ttl, registry.DefaultDigestTTL))
		}
		if client, err = NewClient(opts.Root, opts.Config, opts.Getenv, extra...); err != nil {
			return nil, err
		}
	}

	groups, seen := []*group{}, map[string]bool{}
	var refs []string
	for _, c := range clusters {
		for _, a := range c.Apps {
			for _, res := range a.Resources {
				if testHookOnly(res) {
					continue
				}
				for _, use := range Extract(res.Object) {
					ref, perr := registry.Parse(use.Image)
					canon := strings.TrimSpace(use.Image)
					if perr == nil {
						canon = ref.String()
						if skipped(opts.Config.Skip, use.Image, ref) {
							continue
						}
					}
					key := c.Name + "\x00" + a.Name + "\x00" + canon
					if seen[key] {
						continue
					}
					seen[key] = true
					groups = append(groups, &group{app: a, res: res, use: use, ref: ref, err: perr})
					if perr == nil {
						refs = append(refs, canon)
					}
				}
			}
		}
	}

	cctx, cancel := context.WithTimeout(ctx, total)
	defer cancel()
	results := map[string]registry.Result{}
	for _, r := range client.CheckAllProgress(cctx, refs, platforms, opts.Progress) {
		results[r.Ref] = r
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("image check: %w", err)
	}

	loc := NewLocator(opts.Root)
	var out []report.Finding
	for _, g := range groups {
		where := loc.Locate(g.app, g.res, g.use, g.ref)
		f := report.Finding{
			Cluster: g.app.Cluster, App: g.app.Name, File: where.File, Line: where.Line, Resource: g.res.Ref(),
		}
		if f.Cluster == "" {
			f.Cluster = g.res.Cluster
		}
		if g.err != nil {
			f.Rule, f.Severity = report.RuleImageInvalidReference, report.SeverityError
			f.Message = fmt.Sprintf("%q is not a valid image reference", g.use.Image)
			out = append(out, f)
			continue
		}
		if g.ref.Mutable() {
			m := f
			m.Rule, m.Severity = report.RuleImageMutableTag, report.SeverityWarning
			if g.ref.Tag == "" {
				m.Message = fmt.Sprintf("%s: no tag (means latest, which changes under you); pin a version or digest", g.use.Image)
			} else {
				m.Message = fmt.Sprintf("%s: the latest tag changes under you; pin a version or digest", g.use.Image)
			}
			out = append(out, m)
		}
		res := results[g.ref.String()]
		rule, sev := ruleFor(res.Status)
		if rule == "" {
			continue
		}
		if mode == ModeWarn {
			sev = report.SeverityWarning
		}
		f.Rule, f.Severity = rule, sev
		f.Message = g.use.Image + ": " + res.Detail
		out = append(out, f)
	}
	return report.Sort(out), nil
}

// ruleFor maps a verdict to its rule and severity ("" for Found).
func ruleFor(s registry.Status) (string, report.Severity) {
	switch s {
	case registry.Found:
		return "", ""
	case registry.NotFound:
		return report.RuleImageTagNotFound, report.SeverityError
	case registry.Unauthorized:
		return report.RuleImageUnauthorized, report.SeverityError
	case registry.PlatformMissing:
		return report.RuleImagePlatformMissing, report.SeverityError
	case registry.DigestMismatch:
		// The runtime pulls the pinned digest, so the workload runs; the
		// tag in the reference just no longer says what it runs.
		return report.RuleImageDigestMismatch, report.SeverityWarning
	case registry.Invalid:
		return report.RuleImageInvalidReference, report.SeverityError
	default:
		return report.RuleImageUnreachable, report.SeverityError
	}
}

// skipped reports whether a skip glob matches the reference as written or
// in canonical form (also with docker.io for Docker Hub).
func skipped(globs []string, image string, ref registry.Ref) bool {
	if len(globs) == 0 {
		return false
	}
	forms := []string{strings.TrimSpace(image), ref.String()}
	if ref.Registry() == "index.docker.io" {
		forms = append(forms, "docker.io"+strings.TrimPrefix(ref.String(), "index.docker.io"))
	}
	return slices.ContainsFunc(globs, func(g string) bool {
		return slices.ContainsFunc(forms, func(s string) bool {
			ok, _ := doublestar.Match(g, s)
			return ok
		})
	})
}

// testHookOnly reports a Helm test hook, which Argo CD never applies.
func testHookOnly(res *resource.Resource) bool {
	ann, _ := res.Metadata()["annotations"].(map[string]any)
	hook, _ := ann["helm.sh/hook"].(string)
	if hook == "" {
		return false
	}
	for _, h := range strings.Split(hook, ",") {
		switch strings.TrimSpace(h) {
		case "test", "test-success", "test-failure":
		default:
			return false
		}
	}
	return true
}
