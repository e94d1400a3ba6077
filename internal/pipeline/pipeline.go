// Package pipeline runs one `render-check check`: render every cluster, then
// run each check stage over the result, and assemble the report.
package pipeline

import (
	"context"
	"fmt"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// Options configure a check run.
type Options struct {
	Root     string
	Config   *config.Config
	Clusters []string
	// KubeVersion overrides the target Kubernetes version of every cluster.
	KubeVersion string
	// Images is verify, warn or off.
	Images string
	// Platforms every image must provide (e.g. linux/arm64); empty means
	// the config's images.platforms.
	Platforms []string
}

// Input is what every stage receives.
type Input struct {
	Root     string
	Config   *config.Config
	Clusters []*resource.Cluster
	Options  *Options
}

// Stage is one check over the rendered clusters. It returns findings; an
// error means the stage could not run at all (reported as such).
type Stage struct {
	// Name is the check name, as in rule prefixes (schema, image, secret, repo).
	Name string
	// Run performs the check. When it returns skipped != "", the check did not
	// run and the reason is reported.
	Run func(ctx context.Context, in *Input) (findings []report.Finding, skipped string, err error)
}

// Stages returns the check stages in the order they run. Each stage lives in
// stage_<name>.go and calls into its own package.
func Stages() []Stage {
	return []Stage{schemaStage, imageStage, secretStage, repoStage}
}

// Check renders and checks; the report is finalized (sorted, summarised).
func Check(ctx context.Context, opts Options) (*report.Report, error) {
	res, err := render.Render(ctx, render.Options{
		Root: opts.Root, Config: opts.Config, Clusters: opts.Clusters, KubeVersion: opts.KubeVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("rendering: %w", err)
	}
	rep := &report.Report{Findings: res.Findings}
	for _, c := range res.Clusters {
		rc := report.Cluster{Name: c.Name, KubernetesVersion: c.KubernetesVersion, Apps: []report.App{}}
		for _, a := range c.Apps {
			rc.Apps = append(rc.Apps, report.App{Name: a.Name, Source: a.SourceType, Resources: len(a.Resources)})
		}
		rep.Clusters = append(rep.Clusters, rc)
	}
	in := &Input{Root: opts.Root, Config: opts.Config, Clusters: res.Clusters, Options: &opts}
	for _, st := range Stages() {
		fs, skipped, err := st.Run(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s check: %w", st.Name, err)
			}
			rep.Findings = append(rep.Findings, report.Finding{
				Rule: st.Name + "/failed", Severity: report.SeverityError,
				Message: fmt.Sprintf("%s check could not run: %v", st.Name, err),
			})
			continue
		}
		if skipped != "" {
			rep.Skipped = append(rep.Skipped, st.Name+": "+skipped)
		}
		rep.Findings = append(rep.Findings, fs...)
	}
	rep.Finalize()
	return rep, nil
}
