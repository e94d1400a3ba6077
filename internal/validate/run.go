package validate

import (
	"context"
	"errors"
	"slices"

	"github.com/render-check/render-check/internal/check"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/yamlpos"
)

// Run is the schema check of `render-check check`: every rendered resource
// of every cluster against the schemas of the cluster's Kubernetes version
// (embedded built-ins, CRDs from the checkout, the configured paths and the
// rendered output, configured schema locations), plus removed APIs and
// duplicate resources.
func Run(ctx context.Context, in *check.Input) (check.Result, error) {
	cfg := in.Config.Validate
	var crds []CRDSchema
	var findings []report.Finding
	var argo ArgoFields // the repo's Applications' unknown fields, found in their files
	paths := cfg.CRDs
	if in.Workspace != nil {
		// the checkout's CRDs from the workspace's one file list
		files, err := in.Workspace.Files(ctx)
		if err != nil {
			return check.Result{}, err
		}
		crds, findings = CRDsFromFiles(files, in.Workspace.ReadFile)
		ws := in.Workspace
		hash := func(rel string) (string, bool) {
			h, err := ws.Hash(ctx, rel)
			return h, err == nil && h != ""
		}
		argo = ArgoUnknownFieldsCached(readByRender(files, in.Clusters), ws.ReadFile, hash, cfg.IsStrict(), in.Verdicts)
		findings = append(findings, argo.Findings...)
	} else {
		paths = append([]string{"."}, paths...)
	}
	extra, fs, err := CRDsFromPaths(in.Root, paths)
	if err != nil {
		return check.Result{}, err
	}
	crds, findings = append(crds, extra...), append(findings, fs...)
	lines := yamlpos.NewIndex()
	cache := NewCache() // one per run: what one cluster compiled and judged, the next reuses
	for _, c := range in.Clusters {
		// c.KubernetesVersion was decided (and validated) once, by render
		fs, err := CheckCluster(ctx, c, ClusterOptions{
			Root: in.Root, Strict: cfg.IsStrict(), CRDs: crds,
			SchemaLocations: cfg.SchemaLocations, SchemaCacheDir: cfg.SchemaCacheDir, SkipKinds: cfg.SkipKinds,
			MissingSchema: cfg.MissingSchema, NoCatalog: !cfg.UsesCatalog(),
			Lines: lines, Cache: cache, Verdicts: in.Verdicts, Argo: argo,
		})
		if err != nil {
			var pe *PolicyError
			if errors.As(err, &pe) {
				return check.Result{}, &check.ConfigError{Check: "schema", Err: err}
			}
			return check.Result{}, err
		}
		findings = append(findings, fs...)
	}
	// one schema/missing finding per kind across clusters and apps
	return check.Result{Findings: GroupMissing(findings)}, nil
}

// readByRender keeps the files that the render of the selected clusters
// read: the Applications' own files and every input of an app (the
// Applications an app-of-apps renders, an ApplicationSet's file).
func readByRender(files []string, clusters []*resource.Cluster) []string {
	read := map[string]bool{}
	for _, c := range clusters {
		for _, a := range c.Apps {
			if a.Application != nil && a.Application.File != "" {
				read[a.Application.File] = true
			}
			for _, f := range a.Inputs {
				read[f] = true
			}
		}
	}
	return slices.DeleteFunc(slices.Clone(files), func(f string) bool { return !read[f] })
}
