// Package registry checks image references against container registries
// with go-containerregistry: existence by a HEAD of the manifest (GET where
// HEAD is refused), pinned digests, moved tags, required platforms and tag
// listing. It is shared by the image check and `render-check bump`.
//
// A Client deduplicates: each unique reference (with the same platforms) is
// checked at most once during the client's life, however many callers ask.
// Failures are classified from *transport.Error status codes and Go network
// errors, never from message text.
package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"github.com/render-check/render-check/internal/rendercache"
)

// Status is the verdict of one check.
type Status int

// Verdicts of Check.
const (
	// Found: the manifest exists (and the digest, tag and platforms agree).
	Found Status = iota + 1
	// NotFound: the registry says the tag, digest or repository is unknown.
	NotFound
	// Unauthorized: the registry refused access (401/403) with the
	// credentials we have (possibly none).
	Unauthorized
	// Unreachable: DNS, connection, TLS, timeout, rate limit or server
	// errors after retries; never means the image is missing.
	Unreachable
	// PlatformMissing: the image exists but lacks a required platform.
	PlatformMissing
	// DigestMismatch: repo:tag@digest where the tag no longer points at the
	// pinned digest (the digest itself exists).
	DigestMismatch
	// Invalid: the reference does not parse.
	Invalid
)

var statusNames = map[Status]string{
	Found: "found", NotFound: "not-found", Unauthorized: "unauthorized", Unreachable: "unreachable",
	PlatformMissing: "platform-missing", DigestMismatch: "digest-mismatch", Invalid: "invalid",
}

// String returns the status in kebab case ("not-found").
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Result is the verdict for one reference.
type Result struct {
	// Ref is the reference as passed to Check.
	Ref    string
	Status Status
	// Digest is the manifest digest the registry resolved (for a tag, what
	// it points at now).
	Digest string
	// Detail explains the status in a few words ("tag not found",
	// "registry 10.0.0.1:5000 denied access (HTTP 401)"). Never contains credentials.
	Detail string
	// Registry is the host that answered (a mirror when one was used).
	Registry string
	// Err is the underlying error for statuses other than Found.
	Err error
}

// Client checks references. It is safe for concurrent use; create one per run.
type Client struct {
	o      *options
	puller *remote.Puller
	// prober lists one tag per page, to tell a missing repository from a missing tag.
	prober *remote.Puller
	err    error
	sem    chan struct{}
	cache  *diskCache

	mu    sync.Mutex
	calls map[string]*call
	// down remembers hosts that failed below HTTP (DNS, connection, TLS,
	// timeout) after retries, so later references fail fast.
	down map[string]string
}

type call struct {
	done chan struct{}
	res  Result
}

var (
	errNoCertificates = errors.New("CA bundle contains no PEM certificates")
	errHostDown       = errors.New("registry unreachable earlier in this run")
)

// belowHTTP reports a failure without an HTTP answer (DNS, connection, TLS, timeout).
func belowHTTP(err error) bool {
	var te *transport.Error
	return err != nil && !errors.As(err, &te) && !errors.Is(err, errNoCertificates)
}

// New returns a client; see the Option functions for defaults.
func New(opts ...Option) *Client {
	o := defaultOptions()
	for _, opt := range opts {
		opt(o)
	}
	c := &Client{o: o, sem: make(chan struct{}, o.concurrency), calls: map[string]*call{}, down: map[string]string{}, err: o.caErr}
	if o.cacheDir != "" {
		c.cache = &diskCache{dir: o.cacheDir}
	}
	rt := newRetryTransport(baseTransport(o), o)
	ropts := []remote.Option{
		remote.WithTransport(rt),
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithUserAgent(o.userAgent),
		// Our transport retries, honouring Retry-After; go-containerregistry's must not retry too.
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
	}
	p, err := remote.NewPuller(ropts...)
	if err == nil {
		c.prober, err = remote.NewPuller(append(ropts, remote.WithPageSize(1))...)
	}
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("registry client: %w", err)
	}
	c.puller = p
	return c
}

// Err reports a configuration problem (e.g. a CA bundle without
// certificates) that makes every check fail; nil when the client is usable.
func (c *Client) Err() error { return c.err }

// Concurrency is the client's bound on concurrent checks.
func (c *Client) Concurrency() int { return c.o.concurrency }

// Check verifies one reference: the tag or digest exists, a tag pinned with
// a digest still points at it, and an image index has every platform in
// platforms (none required when empty). Results are cached per reference
// and platforms for the client's life; concurrent callers share one check.
func (c *Client) Check(ctx context.Context, ref string, platforms []v1.Platform) Result {
	r, err := Parse(ref)
	if err != nil {
		return Result{Ref: ref, Status: Invalid, Detail: "invalid image reference", Err: err}
	}
	key := r.String() + "|" + platformKey(platforms)
	c.mu.Lock()
	if cl, ok := c.calls[key]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			res := cl.res
			res.Ref = ref
			return res
		case <-ctx.Done():
			return cancelled(ref, ctx.Err())
		}
	}
	cl := &call{done: make(chan struct{})}
	c.calls[key] = cl
	c.mu.Unlock()

	cl.res = c.check(ctx, r, platforms, key)
	if ctx.Err() != nil {
		// Not a verdict: let a later call with a live context try again.
		c.mu.Lock()
		delete(c.calls, key)
		c.mu.Unlock()
	}
	close(cl.done)
	res := cl.res
	res.Ref = ref
	return res
}

// CheckAll checks refs concurrently (bounded by the client's concurrency)
// and returns one result per input, in input order. Duplicates are checked once.
func (c *Client) CheckAll(ctx context.Context, refs []string, platforms []v1.Platform) []Result {
	return c.CheckAllProgress(ctx, refs, platforms, nil)
}

// CheckAllProgress is CheckAll telling progress, when set, how many of the
// distinct references are checked after each one: done counts up to total,
// one call at a time.
func (c *Client) CheckAllProgress(ctx context.Context, refs []string, platforms []v1.Platform, progress func(done, total int)) []Result {
	out := make([]Result, len(refs))
	distinct := map[string]bool{}
	for _, ref := range refs {
		key := ref
		if r, err := Parse(ref); err == nil {
			key = r.String()
		}
		distinct[key] = true
	}
	var mu sync.Mutex
	done := 0
	tick := func() {
		if progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done++
		progress(done, len(distinct))
	}
	// Deduplicate before scheduling so waiting duplicates take no slots.
	first := map[string]int{}
	dup := make([]int, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.o.concurrency)
	for i, ref := range refs {
		key := ref
		if r, err := Parse(ref); err == nil {
			key = r.String()
		}
		if j, ok := first[key]; ok {
			dup[i] = j
			continue
		}
		first[key] = i
		dup[i] = i
		g.Go(func() error {
			out[i] = c.Check(gctx, ref, platforms)
			tick()
			return nil
		})
	}
	_ = g.Wait() // the goroutines never return errors
	for i, j := range dup {
		if i != j {
			out[i] = out[j]
			out[i].Ref = refs[i]
		}
	}
	return out
}

// Tags lists the tags of a repository ("ghcr.io/org/app"), through a mirror
// when one is configured for its registry.
func (c *Client) Tags(ctx context.Context, repository string) ([]string, error) {
	if c.err != nil {
		return nil, c.err
	}
	repo, err := name.NewRepository(repository)
	if err != nil {
		return nil, fmt.Errorf("parsing repository %q: %w", repository, err)
	}
	target := repo.Name()
	if ms := c.o.mirrors[normalizeHost(repo.RegistryStr())]; len(ms) > 0 {
		target = strings.TrimSuffix(ms[0], "/") + "/" + repo.RepositoryStr()
	}
	host, _, _ := strings.Cut(target, "/")
	var nopts []name.Option
	if c.o.insecure[normalizeHost(host)] {
		nopts = append(nopts, name.Insecure)
	}
	repo, err = name.NewRepository(target, nopts...)
	if err != nil {
		return nil, fmt.Errorf("parsing repository %q: %w", target, err)
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.release()
	tags, err := c.puller.List(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repository, err)
	}
	slices.Sort(tags)
	return tags, nil
}

func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.sem }

func cancelled(ref string, err error) Result {
	return Result{Ref: ref, Status: Unreachable, Detail: "check cancelled", Err: err}
}

// check runs one uncached check, through the mirrors of r's registry if any.
func (c *Client) check(ctx context.Context, r Ref, platforms []v1.Platform, key string) Result {
	if c.err != nil {
		return Result{Ref: r.Original, Status: Unreachable, Detail: c.err.Error(), Err: c.err}
	}
	if c.cache != nil && r.Digest != "" && r.Tag == "" {
		if d, ok := c.cache.get(key); ok {
			return Result{Ref: r.Original, Status: Found, Digest: d, Detail: "cached", Registry: r.Registry()}
		}
	}
	var vkey rendercache.Key
	if c.o.verdicts != nil && c.ttl(r) > 0 {
		vkey = c.verdictKey(ctx, r, key)
		if res, ok := c.cachedFound(vkey, r); ok {
			return res
		}
	}
	if err := c.acquire(ctx); err != nil {
		return cancelled(r.Original, err)
	}
	defer c.release()
	targets := c.o.mirrors[normalizeHost(r.Registry())]
	if len(targets) == 0 {
		targets = []string{""}
	}
	var res Result
	for _, target := range targets {
		host := r.Registry()
		if target != "" {
			host, _, _ = strings.Cut(target, "/")
		}
		c.mu.Lock()
		why, isDown := c.down[normalizeHost(host)]
		c.mu.Unlock()
		if isDown {
			res = Result{Ref: r.Original, Status: Unreachable, Registry: host, Err: errHostDown,
				Detail: fmt.Sprintf("cannot reach registry %s: %s (an earlier request failed; not retried)", host, why)}
		} else {
			res = c.checkAt(ctx, r, target, platforms)
			if res.Status == Unreachable && ctx.Err() == nil && belowHTTP(res.Err) {
				c.mu.Lock()
				c.down[normalizeHost(host)] = netReason(res.Err)
				c.mu.Unlock()
			}
		}
		if target != "" {
			res.Detail = strings.TrimSpace(res.Detail + " (checked at mirror " + target + ")")
		}
		if res.Status != Unreachable && res.Status != Unauthorized {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	if res.Status == Found && c.cache != nil && r.Digest != "" && r.Tag == "" {
		c.cache.put(key, res.Digest)
	}
	if c.o.verdicts != nil && c.ttl(r) > 0 && ctx.Err() == nil {
		c.storeFound(vkey, r, res) // only "found": never a miss or an error
	}
	return res
}

// checkAt checks r at one target registry ("" = its own).
func (c *Client) checkAt(ctx context.Context, r Ref, target string, platforms []v1.Platform) Result {
	tag, dig, err := r.at(target, c.o.insecure)
	if err != nil {
		return Result{Ref: r.Original, Status: Invalid, Detail: "invalid mirror reference", Err: err}
	}
	reg := r.Registry()
	if tag != nil {
		reg = tag.RegistryStr()
	} else if dig != nil {
		reg = dig.RegistryStr()
	}
	res := Result{Ref: r.Original, Registry: reg}
	fail := func(ref name.Reference, err error) Result {
		res.Status, res.Detail = c.classify(ctx, ref, err)
		res.Err = err
		if res.Status == NotFound && res.Detail != "repository not found" && !c.repoExists(ctx, ref.Context()) {
			res.Detail = "repository not found"
		}
		return res
	}

	var pinned *manifest
	if dig != nil {
		m, err := c.head(ctx, *dig)
		if err != nil {
			return fail(*dig, err)
		}
		pinned = m
		res.Digest = m.desc.Digest.String()
	}
	if tag != nil {
		m, err := c.head(ctx, *tag)
		switch {
		case err != nil && pinned != nil:
			st, detail := c.classify(ctx, *tag, err)
			if st != NotFound {
				return fail(*tag, err)
			}
			res.Status, res.Err = DigestMismatch, err
			res.Detail = fmt.Sprintf("tag %s no longer exists (%s); pinned digest %s exists", tag.TagStr(), detail, short(r.Digest))
			return res
		case err != nil:
			return fail(*tag, err)
		case pinned != nil && m.desc.Digest.String() != r.Digest:
			res.Status = DigestMismatch
			res.Detail = fmt.Sprintf("tag %s moved to %s; pinned digest %s", tag.TagStr(), short(m.desc.Digest.String()), short(r.Digest))
			return c.withPlatforms(ctx, res, *dig, pinned, platforms)
		case pinned == nil:
			pinned = m
			res.Digest = m.desc.Digest.String()
		}
	}
	res.Status = Found
	var at name.Reference
	if dig != nil {
		at = *dig
	} else {
		at = *tag
	}
	return c.withPlatforms(ctx, res, at, pinned, platforms)
}

// repoExists asks for one tag of repo; only a definite "unknown" answer
// (404) says the repository does not exist.
func (c *Client) repoExists(ctx context.Context, repo name.Repository) bool {
	_, err := c.prober.Lister(ctx, repo)
	var te *transport.Error
	return !errors.As(err, &te) || te.StatusCode != http.StatusNotFound
}

// withPlatforms turns res into PlatformMissing when a required platform is
// absent (keeping DigestMismatch, which is reported first).
func (c *Client) withPlatforms(ctx context.Context, res Result, ref name.Reference, m *manifest, platforms []v1.Platform) Result {
	if len(platforms) == 0 {
		return res
	}
	have, err := c.platforms(ctx, ref, m)
	if err != nil {
		st, detail := c.classify(ctx, ref, err)
		res.Status, res.Detail, res.Err = st, "reading platforms: "+detail, err
		return res
	}
	var missing []string
	for _, want := range platforms {
		if !slices.ContainsFunc(have, func(p v1.Platform) bool { return p.Satisfies(want) }) {
			missing = append(missing, want.String())
		}
	}
	if len(missing) == 0 || res.Status == DigestMismatch {
		return res
	}
	names := make([]string, 0, len(have))
	for _, p := range have {
		names = append(names, p.String())
	}
	slices.Sort(names)
	res.Status = PlatformMissing
	res.Detail = fmt.Sprintf("missing platform %s (has %s)", strings.Join(missing, ", "), strings.Join(slices.Compact(names), ", "))
	return res
}

// manifest is what a HEAD (or GET) told us; raw is set only after a GET.
type manifest struct {
	desc v1.Descriptor
	raw  []byte
	get  *remote.Descriptor
}

// head asks for ref's manifest with a HEAD, falling back to GET when the
// registry refuses HEAD or answers it without usable headers, and to GET on
// a 404 to learn whether the repository or the manifest is unknown.
func (c *Client) head(ctx context.Context, ref name.Reference) (*manifest, error) {
	desc, err := c.puller.Head(ctx, ref)
	if err == nil {
		return &manifest{desc: *desc}, nil
	}
	if !headFallback(err) {
		return nil, err
	}
	d, gerr := c.puller.Get(ctx, ref)
	if gerr != nil {
		return nil, gerr
	}
	return &manifest{desc: d.Descriptor, raw: d.Manifest, get: d}, nil
}

func headFallback(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusMethodNotAllowed, http.StatusNotImplemented, http.StatusNotFound, http.StatusBadRequest:
			return true
		}
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// A 200 without Content-Type, Content-Length or digest headers.
	return true
}

// platforms lists the platforms ref provides: an index's entries, or an
// image's config.
func (c *Client) platforms(ctx context.Context, ref name.Reference, m *manifest) ([]v1.Platform, error) {
	d := m.get
	if d == nil {
		var err error
		if d, err = c.puller.Get(ctx, ref); err != nil {
			return nil, err
		}
	}
	if d.MediaType.IsIndex() {
		im, err := v1.ParseIndexManifest(strings.NewReader(string(d.Manifest)))
		if err != nil {
			return nil, fmt.Errorf("parsing index of %s: %w", ref, err)
		}
		var out []v1.Platform
		for _, e := range im.Manifests {
			if e.Platform != nil && e.Platform.OS != "unknown" {
				out = append(out, *e.Platform)
			}
		}
		return out, nil
	}
	img, err := d.Image()
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config of %s: %w", ref, err)
	}
	if p := cf.Platform(); p != nil {
		return []v1.Platform{*p}, nil
	}
	return nil, nil
}

// classify maps an error to a status and a short detail, from status codes
// and error types only.
func (c *Client) classify(ctx context.Context, ref name.Reference, err error) (Status, string) {
	if ctx.Err() != nil {
		return Unreachable, "check cancelled or timed out"
	}
	host := ref.Context().RegistryStr()
	if tlsFailure(err) {
		// Checked first: a TLS registry on a loopback address is also
		// pinged over plain HTTP, whose 400 would hide the real cause.
		return Unreachable, fmt.Sprintf("cannot reach registry %s: %s", host, netReason(err))
	}
	var te *transport.Error
	if errors.As(err, &te) {
		codes := map[transport.ErrorCode]bool{}
		for _, d := range te.Errors {
			codes[d.Code] = true
		}
		manifestReq := te.Request != nil && strings.Contains(te.Request.URL.Path, "/manifests/")
		switch {
		case codes[transport.NameUnknownErrorCode]:
			return NotFound, "repository not found"
		case codes[transport.ManifestUnknownErrorCode], te.StatusCode == http.StatusNotFound && manifestReq:
			if _, ok := ref.(name.Digest); ok {
				return NotFound, "digest not found"
			}
			return NotFound, "tag not found"
		case te.StatusCode == http.StatusUnauthorized, te.StatusCode == http.StatusForbidden,
			codes[transport.UnauthorizedErrorCode], codes[transport.DeniedErrorCode]:
			return Unauthorized, fmt.Sprintf("registry %s denied access (HTTP %d, %s)", host, te.StatusCode, c.credentialNote(ctx, ref))
		case te.StatusCode == http.StatusTooManyRequests:
			return Unreachable, fmt.Sprintf("registry %s is rate limiting (HTTP 429) after retries", host)
		case te.StatusCode >= 500:
			return Unreachable, fmt.Sprintf("registry %s failed (HTTP %d) after retries", host, te.StatusCode)
		default:
			path := ""
			if te.Request != nil {
				path = " on " + te.Request.URL.Path
			}
			return Unreachable, fmt.Sprintf("registry %s answered HTTP %d%s", host, te.StatusCode, path)
		}
	}
	return Unreachable, fmt.Sprintf("cannot reach registry %s: %s", host, netReason(err))
}

// credentialNote says whether credentials were sent, never what they are.
func (c *Client) credentialNote(ctx context.Context, ref name.Reference) string {
	a, err := authn.Resolve(ctx, c.o.keychain, ref.Context())
	if err != nil || a == authn.Anonymous {
		return "no credentials configured"
	}
	return "with the configured credentials"
}

func short(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func platformKey(ps []v1.Platform) string {
	s := make([]string, 0, len(ps))
	for _, p := range ps {
		s = append(s, p.String())
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}
