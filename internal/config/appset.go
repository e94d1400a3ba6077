package config

import (
	"fmt"
	"strings"

	"github.com/render-check/render-check/internal/kube"
)

// ArgoCluster is a cluster registered in Argo CD, declared in the
// configuration when its cluster Secret is not in the repository.
type ArgoCluster struct {
	// Name is the cluster's Argo CD name (the Secret's `name`).
	Name string `json:"name"`
	// Server is its API server URL.
	Server string `json:"server"`
	// Project is the cluster's project (optional).
	Project string `json:"project,omitempty"`
	// Labels and Annotations are the cluster Secret's metadata, matched by
	// clusters generator selectors and offered to templates.
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// KubernetesVersion is the cluster's Kubernetes version, e.g. "1.34".
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
}

// checkArgoClusters rejects declared clusters without a name or server, and
// two with one name.
func (c *Config) checkArgoClusters() error {
	seen := map[string]bool{}
	for i, ac := range c.ArgoClusters {
		if strings.TrimSpace(ac.Name) == "" || strings.TrimSpace(ac.Server) == "" {
			return fmt.Errorf("argoClusters[%d]: name and server are required", i)
		}
		if seen[ac.Name] {
			return fmt.Errorf("argoClusters: cluster %q is declared twice", ac.Name)
		}
		seen[ac.Name] = true
		if ac.KubernetesVersion != "" {
			if _, err := kube.ParseVersion(ac.KubernetesVersion); err != nil {
				return fmt.Errorf("argoClusters[%d].kubernetesVersion: %w", i, err)
			}
		}
	}
	return nil
}
