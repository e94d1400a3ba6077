package helm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/helmpath"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/rootfs"
)

// ErrChartNotFound is returned when a repository has no such chart or version.
var ErrChartNotFound = errors.New("chart not found")

// ErrRepoUnreachable is returned when a chart repository or registry cannot be reached.
var ErrRepoUnreachable = errors.New("chart repository unreachable")

// indexEntry is a repository index fetched once per Renderer.
type indexEntry struct {
	once  sync.Once
	index *repo.IndexFile
	err   error
}

// pullEntry is a remote chart made available once per Renderer.
type pullEntry struct {
	once sync.Once
	dir  string // extracted chart directory
	err  error
}

// remoteChart locates a chart in a repository.
type remoteChart struct {
	repoURL string // https://... or oci://... (normalised)
	name    string
	version string // exact version or semver range ("" = latest)
	devel   bool
	// passCreds sends repository credentials to other hosts too (Argo CD's
	// helm.passCredentials).
	passCreds bool
}

func (rc remoteChart) isOCI() bool { return strings.HasPrefix(rc.repoURL, "oci://") }

// normalizeRepoURL makes a scheme-less repoURL an oci:// one, as Argo CD's
// enableOCI repositories are written without a scheme.
func normalizeRepoURL(u string) string {
	u = strings.TrimSuffix(strings.TrimSpace(u), "/")
	if !strings.Contains(u, "://") {
		return "oci://" + u
	}
	return u
}

func cacheKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:12])
}

// isExactVersion reports whether v names one version (not a range).
func isExactVersion(v string) bool {
	_, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v"))
	return err == nil && !strings.ContainsAny(v, "<>=~^*|, ")
}

// pull makes a remote chart available as an extracted directory in the
// cache, resolving the version, downloading only when not cached.
func (r *Renderer) pull(ctx context.Context, rc remoteChart) (string, error) {
	if err := r.network.Check("helm chart repository", rc.repoURL); err != nil {
		return "", err
	}
	if err := rootfs.ValidChartName(rc.name); err != nil {
		return "", err // it becomes a cache path part
	}
	if rc.version == "" && rc.devel {
		rc.version = ">0.0.0-0"
	}
	version := rc.version
	rec := rendercache.FromContext(ctx)
	if !isExactVersion(version) {
		rec.Uncacheable("chart " + rc.name + ": version range resolved from the repository index")
		v, err := r.resolveVersion(ctx, rc)
		if err != nil {
			return "", err
		}
		version = v
	}
	if _, err := semver.NewVersion(version); err != nil || rootfs.ValidPathElement(version) != nil {
		return "", fmt.Errorf("chart %s: version %q is not a semantic version", rc.name, version)
	}
	key := cacheKey(rc.repoURL, rc.name, version)
	r.mu.Lock()
	e, ok := r.pulls[key]
	if !ok {
		e = &pullEntry{}
		r.pulls[key] = e
	}
	r.mu.Unlock()
	e.once.Do(func() {
		e.dir, e.err = r.fetchAndExtract(ctx, rc, version, key)
	})
	rec.Flag(rendercache.FlagNet + rc.repoURL)
	rec.Remote(filepath.Join(r.cacheDir, key, path.Base(rc.name)+"-"+version+".tgz"))
	return e.dir, e.err
}

// fetchAndExtract returns the cached extracted chart, downloading and
// extracting it first when absent.
func (r *Renderer) fetchAndExtract(ctx context.Context, rc remoteChart, version, key string) (string, error) {
	base := filepath.Join(r.cacheDir, key)
	extracted := filepath.Join(base, "chart")
	if d, err := chartSubdir(extracted); err == nil {
		return d, r.addRoot(r.cacheDir)
	}
	var data []byte
	var err error
	if rc.isOCI() {
		data, err = r.pullOCI(rc, version)
	} else {
		data, err = r.downloadHTTP(ctx, rc, version)
	}
	if err != nil {
		return "", err
	}
	r.stats.mu.Lock()
	r.stats.downloads++
	r.stats.mu.Unlock()
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("chart cache: %w", err)
	}
	tgz := filepath.Join(base, path.Base(rc.name)+"-"+version+".tgz")
	if err := writeAtomic(tgz, data); err != nil {
		return "", fmt.Errorf("chart cache: %w", err)
	}
	tmp, err := os.MkdirTemp(base, ".extract-")
	if err != nil {
		return "", fmt.Errorf("chart cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := chartutil.ExpandFile(tmp, tgz); err != nil {
		return "", fmt.Errorf("extracting chart %s-%s: %w", rc.name, version, err)
	}
	if err := r.addRoot(r.cacheDir); err != nil {
		return "", fmt.Errorf("chart cache: %w", err)
	}
	if err := os.Rename(tmp, extracted); err != nil {
		if d, err2 := chartSubdir(extracted); err2 == nil {
			return d, nil // another process won the race
		}
		return "", fmt.Errorf("chart cache: %w", err)
	}
	return chartSubdir(extracted)
}

// chartSubdir returns the single chart directory inside an extraction dir.
func chartSubdir(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "Chart.yaml")); err == nil {
				return filepath.Join(dir, e.Name()), nil
			}
		}
	}
	return "", fmt.Errorf("no chart in %s: %w", dir, os.ErrNotExist)
}

func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

// resolveVersion picks the version a range (or "") resolves to.
func (r *Renderer) resolveVersion(ctx context.Context, rc remoteChart) (string, error) {
	if rc.isOCI() {
		c, err := r.registryClient(rc.repoURL)
		if err != nil {
			return "", err
		}
		ref := ociRef(rc)
		tags, err := c.Tags(ref)
		if err != nil {
			return "", fmt.Errorf("listing tags of %s: %w", ref, classifyOCIErr(err))
		}
		v, err := registry.GetTagMatchingVersionOrConstraint(tags, rc.version)
		if err != nil {
			return "", fmt.Errorf("%s version %q: %w: %v", ref, rc.version, ErrChartNotFound, err)
		}
		return v, nil
	}
	idx, err := r.index(ctx, rc.repoURL)
	if err != nil {
		return "", err
	}
	cv, err := idx.Get(rc.name, rc.version)
	if err != nil {
		return "", fmt.Errorf("chart %q version %q in %s: %w: %v", rc.name, rc.version, redactURL(rc.repoURL), ErrChartNotFound, err)
	}
	return cv.Version, nil
}

func ociRef(rc remoteChart) string {
	return strings.TrimPrefix(rc.repoURL, "oci://") + "/" + rc.name
}

// index fetches (once per Renderer) a repository's index.yaml.
func (r *Renderer) index(ctx context.Context, repoURL string) (*repo.IndexFile, error) {
	r.mu.Lock()
	e, ok := r.indexes[repoURL]
	if !ok {
		e = &indexEntry{}
		r.indexes[repoURL] = e
	}
	r.mu.Unlock()
	e.once.Do(func() {
		u := repoURL + "/index.yaml"
		data, err := r.httpGet(ctx, repoURL, u, false)
		if err != nil {
			e.err = fmt.Errorf("fetching index of chart repository %s: %w", redactURL(repoURL), err)
			return
		}
		dir := filepath.Join(r.cacheDir, "index")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			e.err = fmt.Errorf("chart cache: %w", err)
			return
		}
		p := filepath.Join(dir, cacheKey(repoURL)+".yaml")
		if err := writeAtomic(p, data); err != nil {
			e.err = fmt.Errorf("chart cache: %w", err)
			return
		}
		idx, err := repo.LoadIndexFile(p)
		if err != nil {
			e.err = fmt.Errorf("chart repository %s: invalid index.yaml: %w", redactURL(repoURL), err)
			return
		}
		e.index = idx
	})
	return e.index, e.err
}

// downloadHTTP downloads a chart version from an index repository.
func (r *Renderer) downloadHTTP(ctx context.Context, rc remoteChart, version string) ([]byte, error) {
	idx, err := r.index(ctx, rc.repoURL)
	if err != nil {
		return nil, err
	}
	cv, err := idx.Get(rc.name, version)
	if err != nil {
		return nil, fmt.Errorf("chart %q version %q in %s: %w: %v", rc.name, version, redactURL(rc.repoURL), ErrChartNotFound, err)
	}
	if len(cv.URLs) == 0 {
		return nil, fmt.Errorf("chart %q version %q in %s has no URL: %w", rc.name, version, redactURL(rc.repoURL), ErrChartNotFound)
	}
	u, err := repo.ResolveReferenceURL(rc.repoURL, cv.URLs[0])
	if err != nil {
		return nil, fmt.Errorf("chart %q: bad URL: %w", rc.name, err)
	}
	data, err := r.httpGet(ctx, rc.repoURL, u, rc.passCreds)
	if err != nil {
		return nil, fmt.Errorf("downloading chart %s-%s: %w", rc.name, version, err)
	}
	return data, nil
}

// httpGet fetches u, with the credentials configured for repoURL when u is
// on the same host (or credentials are passed to all hosts).
func (r *Renderer) httpGet(ctx context.Context, repoURL, u string, passAll bool) ([]byte, error) {
	if err := r.network.Check("helm chart download", u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if e := r.repoEntry(repoURL); e != nil && (e.Username != "" || e.Password != "") {
		ru, err1 := url.Parse(repoURL)
		tu, err2 := url.Parse(u)
		if passAll || e.PassCredentialsAll || (err1 == nil && err2 == nil && ru.Host == tu.Host) {
			req.SetBasicAuth(e.Username, e.Password)
		}
	}
	resp, err := r.httpClient.Do(req)
	if err != nil {
		return nil, classifyNetErr(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s: %w: %w", redactURL(u), ErrChartNotFound, &HTTPError{StatusCode: resp.StatusCode})
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: %w", redactURL(u), &HTTPError{StatusCode: resp.StatusCode})
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 512<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", redactURL(u), err)
	}
	return b, nil
}

// classifyNetErr marks connection failures as ErrRepoUnreachable.
func classifyNetErr(err error) error {
	err = withoutURL(err)
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &oe) || errors.As(err, &de) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w: %w", ErrRepoUnreachable, err)
	}
	return err
}

// withoutURL drops the *url.Error layer of an HTTP client error: its text
// repeats the whole URL, credentials and query tokens included. Callers name
// the URL themselves, redacted.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// repoEntry returns helm's repositories.yaml entry for a repository URL.
func (r *Renderer) repoEntry(repoURL string) *repo.Entry {
	path := r.repoConfig
	if path == "" {
		path = helmpath.ConfigPath("repositories.yaml")
	}
	f, err := repo.LoadFile(path)
	if err != nil {
		return nil
	}
	// the exact URL, else the longest entry that is a path prefix of it
	want := strings.TrimSuffix(repoURL, "/")
	var best *repo.Entry
	for _, e := range f.Repositories {
		u := strings.TrimSuffix(e.URL, "/")
		if u == want {
			return e
		}
		if strings.HasPrefix(want, u+"/") && (best == nil || len(u) > len(strings.TrimSuffix(best.URL, "/"))) {
			best = e
		}
	}
	return best
}

// repoByName returns the URL of a repository named in repositories.yaml.
func (r *Renderer) repoByName(name string) (string, bool) {
	path := r.repoConfig
	if path == "" {
		path = helmpath.ConfigPath("repositories.yaml")
	}
	f, err := repo.LoadFile(path)
	if err != nil {
		return "", false
	}
	if e := f.Get(name); e != nil {
		return e.URL, true
	}
	return "", false
}

// registryClient returns a helm registry client for an oci:// repository.
func (r *Renderer) registryClient(repoURL string) (*registry.Client, error) {
	host := strings.TrimPrefix(repoURL, "oci://")
	if i := strings.Index(host, "/"); i >= 0 {
		host = host[:i]
	}
	opts := []registry.ClientOption{
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptHTTPClient(r.httpClient),
	}
	if r.registryConfig != "" {
		opts = append(opts, registry.ClientOptCredentialsFile(r.registryConfig))
	}
	if r.plainHTTP[host] || isLoopback(host) {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	c, err := registry.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("registry client: %w", err)
	}
	return c, nil
}

func isLoopback(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// pullOCI pulls a chart version from an OCI registry.
func (r *Renderer) pullOCI(rc remoteChart, version string) ([]byte, error) {
	c, err := r.registryClient(rc.repoURL)
	if err != nil {
		return nil, err
	}
	ref := ociRef(rc) + ":" + version
	res, err := c.Pull(ref, registry.PullOptWithChart(true))
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref, classifyOCIErr(err))
	}
	if res.Chart == nil || len(res.Chart.Data) == 0 {
		return nil, fmt.Errorf("pulling %s: no chart layer: %w", ref, ErrChartNotFound)
	}
	return res.Chart.Data, nil
}

// classifyOCIErr maps registry errors to ErrChartNotFound / ErrRepoUnreachable.
func classifyOCIErr(err error) error {
	err = classifyNetErr(err)
	if errors.Is(err, ErrRepoUnreachable) {
		return err
	}
	var resp *errcode.ErrorResponse
	if errors.Is(err, errdef.ErrNotFound) || (errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound) {
		return fmt.Errorf("%w: %w", ErrChartNotFound, err)
	}
	return err
}
