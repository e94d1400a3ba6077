package config

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
