package main

import (
	"context"
	"slices"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/imagebump"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/workspace"
)

// newBumpRenderer returns what bump uses to render clusters: exact reach
// (the files each app reads, rendering only the apps that may read a file
// of interest) and, before writing, the check with the edits in memory that
// the apps deploy the new reference (a bump that changes nothing deployed
// writes nothing).
func newBumpRenderer(root string, cfg *config.Config) imagebump.Renderer {
	return bumpRenderer{root: root, cfg: cfg}
}

// bumpRenderer renders with internal/render, as `render-check check` does.
type bumpRenderer struct {
	root string
	cfg  *config.Config
}

// Render renders the clusters and reports, per app, the files it read (its
// Application manifest included: that is where kustomize.images and
// helm.parameters live) and the images it deploys.
func (r bumpRenderer) Render(ctx context.Context, req imagebump.RenderRequest) (*imagebump.RenderOutput, error) {
	opts := render.Options{Root: r.root, Config: r.cfg, Clusters: req.Clusters, Overlay: req.Overlay}
	if req.Files != nil {
		ws, err := workspace.Open(ctx, r.root, workspace.Settings{Config: r.cfg})
		if err != nil {
			return nil, err
		}
		if opts.Select, err = render.ReadersOf(ctx, ws, req.Files); err != nil {
			return nil, err
		}
		if req.Overlay == nil {
			opts.Workspace = ws
		}
	}
	res, err := render.Render(ctx, opts)
	if err != nil {
		return nil, err
	}
	failed := map[[2]string]string{}
	for _, f := range res.Findings {
		if f.Rule == report.RuleRenderFailed && f.Severity == report.SeverityError {
			k := [2]string{f.Cluster, f.App}
			if _, seen := failed[k]; !seen {
				failed[k] = f.Message
			}
		}
	}
	out := &imagebump.RenderOutput{Skipped: res.Skipped}
	for _, c := range res.Clusters {
		for _, a := range c.Apps {
			ra := imagebump.RenderedApp{Cluster: c.Name, Name: a.Name, Inputs: slices.Clone(a.Inputs), Failed: failed[[2]string{c.Name, a.Name}]}
			if a.Application != nil && a.Application.File != "" && !slices.Contains(ra.Inputs, a.Application.File) {
				ra.Inputs = append(ra.Inputs, a.Application.File)
			}
			for _, rs := range a.Resources {
				for _, u := range images.Extract(rs.Object) {
					ra.Images = append(ra.Images, u.Image)
				}
			}
			out.Apps = append(out.Apps, ra)
		}
	}
	return out, nil
}
