// Package helm renders Helm charts in-process the way Argo CD's repo-server
// does with `helm template`, and the way kustomize's HelmChartInflationGenerator
// inflates a `helmCharts:` entry, using the helm.sh/helm/v3 SDK (no helm binary).
//
// A Renderer loads and parses every chart once per run, keeps pulled remote
// charts in a cache directory reused across runs, and is safe for concurrent
// use by many apps.
package helm

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/netpolicy"
	"github.com/render-check/render-check/internal/rootfs"
)

// Request is one Argo CD Helm source to render.
type Request struct {
	// Root is the absolute repo root: "/" value files resolve against it,
	// nothing may escape it, and output paths are relative to it.
	Root string
	// ChartPath is the absolute directory of a local chart; empty for a
	// remote chart.
	ChartPath string
	// RepoURL, Chart and Version locate a remote chart: an https index
	// repository or an oci:// registry (a repoURL without scheme is OCI, as
	// Argo CD's enableOCI repositories). Version may be a semver range.
	RepoURL, Chart, Version string
	// Helm holds the source's helm options; may be nil.
	Helm *argo.HelmSource
	// AppName is the release name default; Namespace the destination namespace.
	AppName, Namespace string
	// KubeVersion is the target Kubernetes version, e.g. "1.34.0".
	KubeVersion string
	// APIVersions are the capabilities as Argo CD passes them
	// (group/version and group/version/Kind).
	APIVersions []string
	// Env is Argo CD's build environment (ARGOCD_APP_NAME, ...) for $X/${X}
	// substitution in value-file paths, --set values and file-parameter paths.
	Env map[string]string
	// Refs maps a multi-source ref ("$name" or "name") to the absolute root
	// of that source's checkout.
	Refs map[string]string
	// MultiSource is set for a source of a multi-source app. Only there is
	// "$name/..." a source reference; in a single-source app it is plain
	// $X substitution (an unknown $values becomes empty, so the path is
	// read from the repo root), as Argo CD resolves it.
	MultiSource bool
}

// InflateRequest is one kustomize `helmCharts:` entry (the fields of
// kustomize's types.HelmChart) plus where it is inflated.
type InflateRequest struct {
	// Name, Repo (https or oci:// URL) and Version (exact or a range) locate the chart.
	Name    string
	Repo    string
	Version string
	// ReleaseName is the release name (default "release-name").
	ReleaseName string
	// NameTemplate is kustomize's nameTemplate (exclusive with ReleaseName).
	NameTemplate string
	// Namespace is .Release.Namespace (default "default").
	Namespace string
	// AdditionalValuesFiles are applied after ValuesFile, relative to Dir.
	AdditionalValuesFiles []string
	// ValuesInline are inline values, combined with ValuesFile per ValuesMerge.
	ValuesInline map[string]any
	// ValuesFile replaces the chart's values.yaml as the -f file (relative to Dir).
	ValuesFile string
	// ValuesMerge is override (default), merge or replace.
	ValuesMerge string
	// IncludeCRDs renders crds/; SkipHooks drops every hook; SkipTests drops test hooks.
	IncludeCRDs bool
	SkipHooks   bool
	SkipTests   bool
	// ApiVersions and KubeVersion are the capabilities (kustomize's spelling).
	ApiVersions []string //nolint:revive // kustomize's spelling
	KubeVersion string
	// Devel allows pre-release versions when Version is empty.
	Devel bool

	// ChartHome is the absolute chart home (helmGlobals.chartHome resolved
	// against the kustomization directory; kustomize's default is "charts").
	ChartHome string
	// Root is the absolute repo root (escape checks, repo-relative output).
	Root string
	// Dir is the absolute kustomization directory: relative ValuesFile and
	// AdditionalValuesFiles resolve against it. Defaults to ChartHome's parent.
	Dir string
	// LoadRestrictionsNone lifts kustomize's default rule that values files
	// must be inside Dir (they must still be inside Root).
	LoadRestrictionsNone bool
}

// Output is a rendered chart.
type Output struct {
	// Manifests are the rendered objects in helm's output order.
	Manifests []Manifest
	// ValueFiles are the repo-relative values files that fed the release,
	// in precedence order (lowest first); URLs are kept as given.
	ValueFiles []string
	// Inputs are the repo-relative files read, sorted.
	Inputs []string
	// Unused are keys of the repo's values files that the chart never
	// reads.
	Unused []UnusedValue
	// Reads is what the chart reads of .Values, to find unused keys of
	// inline values (nil: it cannot tell).
	Reads *ValuesReads
	// ChartCRDs are the CustomResourceDefinitions in crds/ of the chart and
	// its dependencies that the output does not hold (skipCrds: true, or
	// includeCRDs: false), read from the loaded chart (for a remote chart,
	// the one already pulled to render: nothing is fetched for them). A
	// local chart's own crds/ is part of the checkout and not repeated here.
	// They are a schema source only, never applied.
	ChartCRDs []ChartCRD
}

// ChartCRD is one CustomResourceDefinition shipped in a chart's crds/.
type ChartCRD struct {
	// Object is the decoded CRD.
	Object map[string]any
	// File is helm's path of the file, e.g. "<chart>/charts/<dep>/crds/x.yaml".
	File string
}

// Manifest is one rendered object.
type Manifest struct {
	// Object is the decoded object (integers as int64, other numbers float64).
	Object map[string]any
	// Template is the repo-relative path of the template that produced it;
	// for remote charts (and files not in the checkout) helm's own source
	// path, e.g. "<chart>/templates/x.yaml".
	Template string
}

// Error is a render failure a repo file is at fault for (a values file,
// Chart.yaml, a template).
type Error struct {
	// File is repo-relative (helm's source path for remote charts).
	File string
	// Line is 1-based; 0 when unknown.
	Line int
	Err  error
}

// Error formats the error as "file:line: message".
func (e *Error) Error() string {
	switch {
	case e.File == "":
		return e.Err.Error()
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Option configures a Renderer.
type Option func(*Renderer)

// WithHTTPClient sets the client for chart repositories and remote value
// files (default: a client with a 60s timeout).
func WithHTTPClient(c *http.Client) Option { return func(r *Renderer) { r.httpClient = c } }

// WithPlainHTTP makes OCI registries on these hosts ("host:port") be reached
// over plain HTTP. Loopback registries always are.
func WithPlainHTTP(hosts ...string) Option {
	return func(r *Renderer) {
		for _, h := range hosts {
			r.plainHTTP[h] = true
		}
	}
}

// WithRepositoryConfig sets helm's repositories.yaml (credentials per
// repository URL). Default: $HELM_REPOSITORY_CONFIG, else helm's default path.
func WithRepositoryConfig(path string) Option { return func(r *Renderer) { r.repoConfig = path } }

// WithRegistryConfig sets helm's registry credentials file (docker config
// format). Default: $HELM_REGISTRY_CONFIG, else helm's default path, with
// the docker config as fallback.
func WithRegistryConfig(path string) Option { return func(r *Renderer) { r.registryConfig = path } }

// WithNetworkPolicy limits which chart repositories, OCI registries and
// value-file hosts are fetched (default: all).
func WithNetworkPolicy(p netpolicy.Policy) Option { return func(r *Renderer) { r.network = p } }

// Renderer renders charts; it caches loaded charts for its lifetime and
// pulled charts in its cache directory. Safe for concurrent use.
type Renderer struct {
	cacheDir       string
	httpClient     *http.Client
	plainHTTP      map[string]bool
	repoConfig     string
	registryConfig string
	network        netpolicy.Policy
	maxBytes       int                   // cap on one chart's rendered output
	roots          map[string]*rootfs.FS // readable roots, guarded by mu
	// overlay maps absolute paths to content read instead of the file on
	// disk (WithOverlay); overlayRoots are the checkout's spellings.
	overlay      map[string][]byte
	overlayRoots []string

	mu      sync.Mutex
	charts  map[string]*chartEntry // loaded charts by key
	indexes map[string]*indexEntry // repository indexes by URL
	pulls   map[string]*pullEntry  // remote charts by cache key
	built   map[string]*depsEntry  // charts with dependencies built, by directory

	stats stats
}

// stats counts work done, for tests and benchmarks.
type stats struct {
	mu        sync.Mutex
	loads     int
	downloads int
}

// NewRenderer returns a Renderer keeping pulled charts under cacheDir
// (default: os.UserCacheDir()/render-check/charts, else a temp directory).
func NewRenderer(cacheDir string, opts ...Option) *Renderer {
	if cacheDir == "" {
		cacheDir = defaultCacheDir()
	}
	r := &Renderer{
		cacheDir:   cacheDir,
		httpClient: &http.Client{Timeout: 60 * time.Second},
		plainHTTP:  map[string]bool{},
		charts:     map[string]*chartEntry{},
		indexes:    map[string]*indexEntry{},
		pulls:      map[string]*pullEntry{},
		maxBytes:   64 << 20,
	}
	for _, o := range opts {
		o(r)
	}
	if r.repoConfig == "" {
		r.repoConfig = os.Getenv("HELM_REPOSITORY_CONFIG")
	}
	if r.registryConfig == "" {
		r.registryConfig = os.Getenv("HELM_REGISTRY_CONFIG")
	}
	return r
}

func defaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil && filepath.IsAbs(d) {
		return filepath.Join(d, "render-check", "charts")
	}
	return filepath.Join(os.TempDir(), "render-check-charts")
}

// ctxErr returns the context's error, if any, for long loops.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("helm: %w", err)
	}
	return nil
}
