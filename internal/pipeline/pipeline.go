// Package pipeline runs one `render-check check`: render every cluster, then
// run each check stage over the result, and assemble the report.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
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
	// Shard, when set, limits the run to the clusters of one shard
	// (see AssignShards); reports of all shards merge into the full report.
	Shard *Shard
	// ChangedSince, when set, checks only the apps whose inputs changed
	// since this git revision (and scans only the changed files for secrets).
	ChangedSince string
	// Progress, when set, is told what the run is doing (for a progress
	// display); it never receives findings or anything from the manifests
	// beyond counts.
	Progress func(Progress)
}

// Progress is one step of a run.
type Progress struct {
	// Stage is "render" or a check name (schema, image, secret, repo).
	Stage string
	// Done is false when the stage starts, true when it ends.
	Done bool
	// Message says what was done ("12 apps, 42 resources").
	Message string
	// Elapsed is the stage's duration (when Done).
	Elapsed time.Duration
}

func (o *Options) progress(p Progress) {
	if o.Progress != nil {
		o.Progress(p)
	}
}

// Input is what every stage receives.
type Input struct {
	Root   string
	Config *config.Config
	// Workspace is the checkout, opened once for the run.
	Workspace *workspace.Workspace
	Clusters  []*resource.Cluster
	Options   *Options
	// ChangedFiles, when non-nil, are the only repo files that file-based
	// checks look at (changed-only runs), relative to Root.
	ChangedFiles []string
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

// ConfigError is a stage's verdict that its section of the configuration is
// unusable: the run stops instead of reporting a finding.
type ConfigError struct {
	Stage string
	Err   error
}

func (e *ConfigError) Error() string { return e.Stage + " configuration: " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Stages returns the check stages in the order they run. Each stage lives in
// stage_<name>.go and calls into its own package.
func Stages() []Stage {
	return []Stage{schemaStage, imageStage, secretStage, repoStage}
}

// Check renders and checks; the report is finalized (sorted, summarised).
func Check(ctx context.Context, opts Options) (*report.Report, error) {
	if opts.Config == nil {
		opts.Config = config.Default()
	}
	// the checkout is opened once; every stage reads it through ws
	ws, err := workspace.Open(ctx, opts.Root, workspace.Settings{Config: opts.Config})
	if err != nil {
		return nil, err
	}
	clusters := opts.Clusters
	var notes []string
	if opts.Shard != nil {
		names, err := ShardClusters(ctx, ws, *opts.Shard)
		if err != nil {
			return nil, fmt.Errorf("shard %s: %w", opts.Shard, err)
		}
		if len(clusters) > 0 {
			names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(clusters, n) })
		}
		if len(names) == 0 {
			rep := &report.Report{Skipped: []string{"shard " + opts.Shard.String() + ": no clusters in this shard"}}
			rep.Finalize()
			return rep, nil
		}
		clusters = names
	}
	var changed []string
	if opts.ChangedSince != "" {
		var err error
		if changed, err = ChangedFiles(ctx, ws, opts.ChangedSince); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	opts.progress(Progress{Stage: "render", Message: "discovering and rendering clusters"})
	res, err := render.Render(ctx, render.Options{
		Root: opts.Root, Config: opts.Config, Workspace: ws, Clusters: clusters, KubeVersion: opts.KubeVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("rendering: %w", err)
	}
	resources := 0
	for _, c := range res.Clusters {
		resources += len(c.All())
	}
	opts.progress(Progress{Stage: "render", Done: true, Elapsed: time.Since(start),
		Message: fmt.Sprintf("%d clusters, %d apps, %d resources", len(res.Clusters), countApps(res.Clusters), resources)})
	if len(res.Clusters) == 0 {
		// a glob that matches nothing must not pass as "no findings"
		res.Findings = append(res.Findings, report.Finding{
			Rule: report.RuleRenderNoClusters, Severity: report.SeverityError,
			Message: fmt.Sprintf("no cluster directory matches %s under the root: nothing was checked (set clusters in %s)",
				strings.Join(opts.Config.Clusters, ", "), config.FileName),
		})
	}
	rendered := res.Clusters
	if opts.ChangedSince != "" {
		kept, unsure := selectChanged(res.Clusters, changed)
		if unsure != "" {
			notes = append(notes, "changed-since "+opts.ChangedSince+": checking everything ("+unsure+")")
			changed = nil
		} else {
			notes = append(notes, fmt.Sprintf("changed-since %s: %d changed files, %d apps selected", opts.ChangedSince, len(changed), countApps(kept)))
			rendered = kept
			if changed == nil {
				changed = []string{}
			}
			res.Findings = slices.DeleteFunc(res.Findings, func(f report.Finding) bool {
				return f.App != "" && !hasApp(kept, f.Cluster, f.App)
			})
		}
	}
	rep := &report.Report{Findings: res.Findings, Notes: notes}
	for _, c := range rendered {
		rc := report.Cluster{Name: c.Name, KubernetesVersion: c.KubernetesVersion, Apps: []report.App{}}
		for _, a := range c.Apps {
			ra := report.App{Name: a.Name, Source: a.SourceType, Resources: len(a.Resources)}
			if a.Application != nil {
				ra.ApplicationSet = a.Application.GeneratedBy
			}
			rc.Apps = append(rc.Apps, ra)
		}
		rep.Clusters = append(rep.Clusters, rc)
	}
	in := &Input{Root: opts.Root, Config: opts.Config, Workspace: ws, Clusters: rendered, Options: &opts, ChangedFiles: changed}
	for _, st := range Stages() {
		start := time.Now()
		opts.progress(Progress{Stage: st.Name, Message: "checking"})
		fs, skipped, err := st.Run(ctx, in)
		var cfgErr *ConfigError
		if errors.As(err, &cfgErr) {
			return nil, err // a bad configuration stops the run (exit 2)
		}
		msg := fmt.Sprintf("%d findings", len(fs))
		switch {
		case err != nil:
			msg = "could not run"
		case skipped != "":
			msg += ", skipped: " + skipped
		}
		opts.progress(Progress{Stage: st.Name, Done: true, Elapsed: time.Since(start), Message: msg})
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
	// severity overrides (policy.severity, clusterSettings.*.severity)
	// apply to every check's findings, here, in one place
	rep.Findings = opts.Config.ApplySeverities(rep.Findings)
	rep.Finalize()
	return rep, nil
}

func countApps(cs []*resource.Cluster) int {
	n := 0
	for _, c := range cs {
		n += len(c.Apps)
	}
	return n
}

func hasApp(cs []*resource.Cluster, cluster, app string) bool {
	for _, c := range cs {
		if c.Name != cluster {
			continue
		}
		for _, a := range c.Apps {
			if a.Name == app {
				return true
			}
		}
	}
	return false
}
