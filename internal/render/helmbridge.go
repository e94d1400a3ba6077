package render

import (
	"context"
	"errors"

	"github.com/render-check/render-check/internal/render/helm"
)

// helmEngine is what rendering needs from the helm package.
type helmEngine interface {
	Template(ctx context.Context, req helm.Request) (*helm.Output, error)
	Inflate(ctx context.Context, req helm.InflateRequest) (*helm.Output, error)
}

// errNoHelm is returned when the in-process Helm renderer is unavailable.
var errNoHelm = errors.New("in-process Helm rendering is not available in this build")

// newHelmEngine returns the run's Helm renderer.
func newHelmEngine(cacheDir string) helmEngine {
	if e, ok := any(helm.NewRenderer(cacheDir)).(helmEngine); ok {
		return e
	}
	return nil
}

func (r *renderer) template(ctx context.Context, req helm.Request) (*helm.Output, error) {
	if r.helm == nil {
		return nil, errNoHelm
	}
	return r.helm.Template(ctx, req)
}

func (r *renderer) inflate(ctx context.Context, req helm.InflateRequest) (*helm.Output, error) {
	if r.helm == nil {
		return nil, errNoHelm
	}
	return r.helm.Inflate(ctx, req)
}
