package main

import (
	"context"
	"slices"
	"sync"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/imagebump"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/workspace"
)

// newBumpRenderer returns what bump uses to render clusters: exact reach
// (the files each app reads, rendering only the apps that may read a file
// of interest) and, before writing, the check with the edits in memory that
// the apps deploy the new reference (a bump that changes nothing deployed
// writes nothing). ws, when set, is the workspace every render of the bump
// reads (nil: the renderer opens one on first use and keeps it), so the
// checkout is listed and parsed once for both renders.
func newBumpRenderer(root string, cfg *config.Config, cache *rendercache.Cache, ws *workspace.Workspace) imagebump.Renderer {
	return &bumpRenderer{root: root, cfg: cfg, cache: cache, ws: ws}
}

// bumpRenderer renders with internal/render, as `render-check check` does.
type bumpRenderer struct {
	root string
	cfg  *config.Config
	// cache, when set, serves the apps a bump did not touch (nil: none).
	cache *rendercache.Cache
	// ws is the workspace shared by the renders (a render with an overlay
	// reads through a view of it).
	ws *workspace.Workspace
	// The last render without an overlay: its result, the files it chose
	// the apps for and what the choice was, from which the render with the
	// edits chooses its apps (render.Decisions.Reselect).
	prev      *render.Result
	prevFiles []string
	decisions *render.Decisions
}

// Render renders the clusters and reports, per app, the files it read (its
// Application manifest included: that is where kustomize.images and
// helm.parameters live) and the images it deploys.
func (r *bumpRenderer) Render(ctx context.Context, req imagebump.RenderRequest) (*imagebump.RenderOutput, error) {
	if r.ws == nil {
		ws, err := workspace.Open(ctx, r.root, workspace.Settings{Config: r.cfg})
		if err != nil {
			return nil, err
		}
		r.ws = ws
	}
	opts := render.Options{Root: r.root, Config: r.cfg, Clusters: req.Clusters, Workspace: r.ws, Overlay: req.Overlay, Cache: r.cache}
	var decisions *render.Decisions
	switch {
	case req.Files == nil:
	case len(req.Overlay) == 0:
		sel, err := render.ReadersOf(ctx, r.ws, req.Files)
		if err != nil {
			return nil, err
		}
		decisions = &render.Decisions{}
		opts.Select = decisions.Record(sel)
	default:
		// the static choice, for the apps the last render cannot answer
		// for, sees the edits too
		view := r.ws.WithOverlay(ctx, req.Overlay)
		var once sync.Once
		var static func(string, *argo.Application) bool
		var staticErr error
		opts.Select = func(cluster string, app *argo.Application) bool {
			once.Do(func() { static, staticErr = render.ReadersOf(ctx, view, req.Files) })
			return staticErr != nil || static(cluster, app)
		}
		if r.prev != nil && subset(req.Files, r.prevFiles) {
			// the last render knows every app that may read an edited
			// file: render just its readers when no manifest can change,
			// else discover and choose from what it learned
			if apps, ok := render.ReadersIn(r.prev, req.Files); ok {
				opts.Apps, opts.Select = apps, nil
			} else {
				opts.Select = r.decisions.Reselect(r.prev, req.Files, opts.Select)
			}
		}
	}
	res, err := render.Render(ctx, opts)
	if err != nil {
		return nil, err
	}
	if decisions != nil {
		r.prev, r.prevFiles, r.decisions = res, req.Files, decisions
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

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
