package pipeline

import (
	"context"
	"errors"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/source"
	"github.com/render-check/render-check/internal/validate"
)

// schemaStage validates every rendered resource of every cluster against the
// schemas of the cluster's Kubernetes version (embedded built-ins, CRDs from
// the checkout, the configured paths and the rendered output, configured
// schema locations), and reports removed APIs and duplicate resources.
var schemaStage = Stage{Name: "schema", Run: runSchemaStage}

func runSchemaStage(ctx context.Context, in *Input) ([]report.Finding, string, error) {
	cfg := in.Config.Validate
	paths := append([]string{"."}, cfg.CRDs...)
	crds, findings, err := validate.CRDsFromPaths(in.Root, paths)
	if err != nil {
		return nil, "", err
	}
	lines := source.NewIndex()
	for _, c := range in.Clusters {
		// c.KubernetesVersion was decided (and validated) once, by render
		fs, err := validate.CheckCluster(ctx, c, validate.ClusterOptions{
			Root: in.Root, Strict: cfg.IsStrict(), CRDs: crds,
			SchemaLocations: cfg.SchemaLocations, SchemaCacheDir: cfg.SchemaCacheDir, SkipKinds: cfg.SkipKinds,
			MissingSchema: cfg.MissingSchema, NoCatalog: !cfg.UsesCatalog(),
			Lines: lines,
		})
		if err != nil {
			var pe *validate.PolicyError
			if errors.As(err, &pe) {
				return nil, "", &ConfigError{Stage: "schema", Err: err}
			}
			return nil, "", err
		}
		findings = append(findings, fs...)
	}
	// one schema/missing finding per kind across clusters and apps
	return validate.GroupMissing(findings), "", nil
}
