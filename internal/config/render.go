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
}

// ResourceFilter matches resources by API group and kind globs.
type ResourceFilter struct {
	APIGroups []string `json:"apiGroups,omitempty"`
	Kinds     []string `json:"kinds,omitempty"`
	Clusters  []string `json:"clusters,omitempty"`
}

func (r *Render) applyDefaults() {}
