// Package config loads .render-check.yaml. Every setting has a default; no
// file is needed for the standard layout. Unknown keys are an error.
package config

import (
	"fmt"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/netpolicy"
)

// FileName is the config file looked up at the repo root.
const FileName = ".render-check.yaml"

// Config is the whole configuration. Each stage owns one section.
type Config struct {
	// Clusters are globs, relative to the root, of cluster directories
	// ("." is the root itself), or of root Application files when the
	// glob's last segment names YAML files (bootstrap/*-root.yaml).
	// Default: ["clusters/*"], and when that matches nothing the layout is
	// detected (see docs/layouts.md).
	Clusters []string `json:"clusters,omitempty"`
	// ClusterName names clusters from the segments the cluster glob's
	// wildcards matched: "{1}-{2}" for clusters/*/* gives eu-prod. Default:
	// the matched directory's (or file's) base name.
	ClusterName string `json:"clusterName,omitempty"`
	// BaseDir is the shared bases directory. Default: "_base".
	BaseDir string `json:"baseDir,omitempty"`
	// RepoURLs are extra URLs that mean "this repo", besides the git origin.
	RepoURLs []string `json:"repoURLs,omitempty"`
	// KubernetesVersion is the default target version for all clusters.
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// ArgoCDNamespace is the namespace Argo CD runs in (its Applications
	// live there), e.g. openshift-gitops. Default: "argocd", plus every
	// namespace the repo's own Applications are in.
	ArgoCDNamespace string `json:"argocdNamespace,omitempty"`
	// ClusterSettings holds per-cluster settings, keyed by cluster name.
	ClusterSettings map[string]ClusterSettings `json:"clusterSettings,omitempty"`
	// ArgoClusters declares clusters Argo CD knows (as its cluster Secrets
	// would) for ApplicationSet clusters generators and destinations.
	ArgoClusters []ArgoCluster `json:"argoClusters,omitempty"`

	Render   Render   `json:"render,omitempty"`
	Validate Validate `json:"validate,omitempty"`
	Images   Images   `json:"images,omitempty"`
	Secrets  Secrets  `json:"secrets,omitempty"`
	Policy   Policy   `json:"policy,omitempty"`
	Cache    Cache    `json:"cache,omitempty"`

	// clustersDefaulted is true when Clusters was not configured.
	clustersDefaulted bool

	// Network is the remote-fetch policy for charts, value files and
	// kustomize remote bases: "all", "off" or a comma-separated host list.
	// Default: all on a trusted run, off on an untrusted one. Honoured only
	// from a trusted source (see docs/security.md).
	Network string `json:"network,omitempty"`

	// Trust is decided when loading (flags and environment), never read
	// from the file.
	Trust Trust `json:"-"`
}

// ClustersConfigured reports whether the cluster globs come from the
// configuration (not the default), so discovery must not guess.
func (c *Config) ClustersConfigured() bool { return !c.clustersDefaulted }

// ClusterSettings are per-cluster settings.
type ClusterSettings struct {
	// KubernetesVersion is the cluster's target Kubernetes minor, e.g. "1.34".
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// Production marks the cluster for the production-only repo rules.
	Production *bool `json:"production,omitempty"`
	// Severity overrides rule severities for this cluster: rule -> error|warning|info|off.
	Severity map[string]string `json:"severity,omitempty"`
}

// Default returns the configuration used when no file exists.
func Default() *Config {
	c := &Config{}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if len(c.Clusters) == 0 {
		c.Clusters = []string{"clusters/*"}
		c.clustersDefaulted = true
	}
	if c.BaseDir == "" {
		c.BaseDir = "_base"
	}
	c.Render.applyDefaults()
	c.Images.applyDefaults()
}

// Parse decodes config bytes strictly; name is used in error messages.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{}
	if err := yaml.UnmarshalStrict(data, c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.applyDefaults()
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// check rejects values that decode but make no sense, so that a bad config
// stops the run (exit 2) instead of surfacing as a finding later.
func (c *Config) check() error {
	switch c.Images.Mode {
	case "verify", "warn", "off":
	default:
		return fmt.Errorf("images.mode: want verify, warn or off, got %q", c.Images.Mode)
	}
	for name, v := range map[string]string{"images.timeout": c.Images.Timeout, "images.totalTimeout": c.Images.TotalTimeout,
		"images.tagCacheTTL": c.Images.TagCacheTTL} {
		if v == "" {
			continue
		}
		if _, err := time.ParseDuration(v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if d, err := time.ParseDuration(c.Images.TagCacheTTL); err == nil && d < 0 {
		return fmt.Errorf("images.tagCacheTTL must not be negative")
	}
	if c.Images.Concurrency < 0 {
		return fmt.Errorf("images.concurrency must not be negative")
	}
	if t := c.Render.Limits.Timeout; t != "" {
		if d, err := time.ParseDuration(t); err != nil || d <= 0 {
			return fmt.Errorf("render.limits.timeout: want a positive Go duration, got %q", t)
		}
	}
	if c.Network != "" {
		if _, err := netpolicy.Parse(c.Network); err != nil {
			return err
		}
	}
	if err := c.checkArgoClusters(); err != nil {
		return err
	}
	if c.KubernetesVersion != "" {
		if _, err := kube.ParseVersion(c.KubernetesVersion); err != nil {
			return fmt.Errorf("kubernetesVersion: %w", err)
		}
	}
	for _, name := range sortedKeys(c.ClusterSettings) {
		if v := c.ClusterSettings[name].KubernetesVersion; v != "" {
			if _, err := kube.ParseVersion(v); err != nil {
				return fmt.Errorf("clusterSettings.%s.kubernetesVersion: %w", name, err)
			}
		}
	}
	return c.ValidatePolicy()
}

// KubernetesVersionFor returns the configured version for a cluster: its own
// setting, else that of the argoClusters entry of its name, else the global
// one, else "" (the caller's default).
func (c *Config) KubernetesVersionFor(cluster string) string {
	if s, ok := c.ClusterSettings[cluster]; ok && s.KubernetesVersion != "" {
		return s.KubernetesVersion
	}
	for _, ac := range c.ArgoClusters {
		if ac.Name == cluster && ac.KubernetesVersion != "" {
			return ac.KubernetesVersion
		}
	}
	return c.KubernetesVersion
}
