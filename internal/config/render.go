package config

import "time"

// Render configures rendering.
type Render struct {
	// KustomizeBuildOptions mirrors argocd-cm kustomize.buildOptions, e.g.
	// "--enable-helm --load-restrictor LoadRestrictionsNone". Default: none, as Argo CD.
	KustomizeBuildOptions string `json:"kustomizeBuildOptions,omitempty"`
	// ChartCacheDir caches remote Helm charts across runs. Default: the user cache dir.
	ChartCacheDir string `json:"chartCacheDir,omitempty"`
	// ResourceExclusions drops kinds from rendered output like argocd-cm resource.exclusions.
	ResourceExclusions []ResourceFilter `json:"resourceExclusions,omitempty"`
	// Parallelism bounds concurrent app renders. Default: number of CPUs.
	Parallelism int `json:"parallelism,omitempty"`
	// ControlPlaneNamespace is the namespace Argo CD runs in (its
	// controller's namespace). An Application in any other namespace is
	// known to the repo-server as NAMESPACE_NAME. Default: "argocd".
	ControlPlaneNamespace string `json:"controlPlaneNamespace,omitempty"`
	// KustomizeVersions mirrors argocd-cm's kustomize.version.<name> keys:
	// version name -> binary path. An Application asking for a
	// kustomize.version not listed here fails as in Argo CD; listed versions
	// render with the built-in kustomize.
	KustomizeVersions map[string]string `json:"kustomizeVersions,omitempty"`
	// Limits bound each render (render/limit findings when hit).
	Limits Limits `json:"limits,omitempty"`
}

// Limits bound the work one hostile or runaway app can cause. Each hit is a
// render/limit finding naming the app and the limit; the run continues.
// Raising them is honoured only from a trusted source.
type Limits struct {
	// Timeout is the per-app render deadline, a Go duration. Default "90s"
	// (Argo CD's default exec timeout for helm and kustomize).
	Timeout string `json:"timeout,omitempty"`
	// MaxDocuments caps the resources one app renders. Default 20000.
	MaxDocuments int `json:"maxDocuments,omitempty"`
	// MaxBytes caps one kustomize build's or Helm chart's output, and any
	// one string a Helm template function builds. Default 64 MiB.
	MaxBytes int `json:"maxBytes,omitempty"`
	// MaxAppsPerCluster caps the Applications of one cluster, app-of-apps
	// children included. Default 5000.
	MaxAppsPerCluster int `json:"maxAppsPerCluster,omitempty"`
}

// Defaults of Limits.
const (
	DefaultRenderTimeout     = 90 * time.Second
	DefaultMaxDocuments      = 20000
	DefaultMaxBytes          = 64 << 20
	DefaultMaxAppsPerCluster = 5000
)

// TimeoutOrDefault is the parsed per-app deadline.
func (l Limits) TimeoutOrDefault() time.Duration {
	if d, err := time.ParseDuration(l.Timeout); err == nil && d > 0 {
		return d
	}
	return DefaultRenderTimeout
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

// MaxDocumentsOrDefault is the document cap.
func (l Limits) MaxDocumentsOrDefault() int { return orDefault(l.MaxDocuments, DefaultMaxDocuments) }

// MaxBytesOrDefault is the output cap.
func (l Limits) MaxBytesOrDefault() int { return orDefault(l.MaxBytes, DefaultMaxBytes) }

// MaxAppsPerClusterOrDefault is the apps cap.
func (l Limits) MaxAppsPerClusterOrDefault() int {
	return orDefault(l.MaxAppsPerCluster, DefaultMaxAppsPerCluster)
}

// DefaultControlPlaneNamespace is Argo CD's usual install namespace.
const DefaultControlPlaneNamespace = "argocd"

// ResourceFilter matches resources by API group and kind globs.
type ResourceFilter struct {
	APIGroups []string `json:"apiGroups,omitempty"`
	Kinds     []string `json:"kinds,omitempty"`
	Clusters  []string `json:"clusters,omitempty"`
}

func (r *Render) applyDefaults() {
	if r.ControlPlaneNamespace == "" {
		r.ControlPlaneNamespace = DefaultControlPlaneNamespace
	}
}
