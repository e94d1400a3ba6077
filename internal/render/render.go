// Package render renders Argo CD Applications the way Argo CD's repo-server
// does, in-process: Kustomize, Helm and plain directories.
package render

import (
	"context"
	"errors"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// Options selects what to render.
type Options struct {
	// Root is the config repo checkout.
	Root string
	// Config is the loaded configuration.
	Config *config.Config
	// Clusters limits the run to these cluster names (all when empty).
	Clusters []string
	// KubeVersion overrides every cluster's target version ("" = config or default).
	KubeVersion string
}

// Result is the rendered desired state of every selected cluster and the
// render findings (failures, unsupported and external sources).
type Result struct {
	Clusters []*resource.Cluster
	Findings []report.Finding
}

// Render discovers and renders every selected cluster. An error means the run
// could not happen (unreadable root); a broken app is a finding.
func Render(ctx context.Context, opts Options) (*Result, error) {
	return nil, errors.New("render: not implemented yet")
}
