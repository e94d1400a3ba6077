// Package pipeline runs one `render-check check`: render every cluster, then
// run each check stage over the result, and assemble the report.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/render-check/render-check/internal/check"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/policy"
	"github.com/render-check/render-check/internal/render"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/secrets"
	"github.com/render-check/render-check/internal/validate"
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
	// Cache, when set, is the render cache (see render.Options.Cache).
	Cache *rendercache.Cache
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

// renderProgress reports rendered apps ("render 1,240/2,480 apps").
func (o *Options) renderProgress() func(done, total int) {
	return o.countProgress("render", "apps", false)
}

// countProgress reports a stage's counted work ("image: 120/480 images"),
// at most once a second so a CI log is not flooded; with last, the final
// count always (a stage whose total is known from the start).
func (o *Options) countProgress(stage, unit string, last bool) func(done, total int) {
	if o.Progress == nil {
		return nil
	}
	var mu sync.Mutex
	var at time.Time
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); now.Sub(at) >= time.Second || (last && done == total) {
			at = now
			o.progress(Progress{Stage: stage, Message: fmt.Sprintf("%s/%s %s", thousands(done), thousands(total), unit)})
		}
	}
}

// stageUnits names what a check stage counts in its progress.
var stageUnits = map[string]string{"image": "images"}

// thousands formats n with comma separators: 2480 -> "2,480".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (o *Options) progress(p Progress) {
	if o.Progress != nil {
		o.Progress(p)
	}
}

// Stage is one check over the rendered clusters, by name (as in rule
// prefixes: schema, image, secret, repo).
type Stage struct {
	Name string
	Run  check.Func
}

// Stages returns the check stages in the order they run; each is its
// package's Run, all with one signature (internal/check).
func Stages() []Stage {
	return []Stage{
		{Name: "schema", Run: validate.Run},
		{Name: "image", Run: images.Run},
		{Name: "secret", Run: secrets.Run},
		{Name: "repo", Run: policy.Run},
	}
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
	notes := slices.Clone(opts.Config.Notes) // deprecated settings
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
		Progress: opts.renderProgress(), Cache: opts.Cache,
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
		msg := fmt.Sprintf("no cluster directory matches %s under the root: nothing was checked (set clusters in %s)",
			strings.Join(opts.Config.Clusters, ", "), config.FileName)
		if !opts.Config.ClustersConfigured() {
			msg = fmt.Sprintf("no clusters found: %s matches nothing, and neither envs/*, environments/* nor any root Application (an Application manifest, or a Helm chart of Applications, that no other Application's path covers) exists: nothing was checked (set clusters in %s; `render-check init` writes one)",
				strings.Join(opts.Config.Clusters, ", "), config.FileName)
		}
		res.Findings = append(res.Findings, report.Finding{Rule: report.RuleRenderNoClusters, Severity: report.SeverityError, Message: msg})
	}
	for _, c := range res.Clusters {
		if len(c.Apps) == 0 {
			// a cluster that renders nothing checks nothing: say so
			res.Findings = append(res.Findings, report.Finding{
				Rule: report.RuleRenderNoApps, Severity: report.SeverityWarning, Cluster: c.Name,
				Message: fmt.Sprintf("cluster %s (%s) has no Application, kustomization or Helm chart: nothing in it was rendered or checked", c.Name, c.Dir),
			})
		}
	}
	notes = append(notes, res.Notes...)
	rendered := res.Clusters
	if opts.ChangedSince != "" {
		kept, unsure := selectChanged(res.Clusters, changed)
		if unsure != "" {
			notes = append(notes, "changed-since "+opts.ChangedSince+": checking everything ("+unsure+")")
			changed = nil
		} else {
			note := fmt.Sprintf("changed-since %s: %d changed files, %d apps selected", opts.ChangedSince, len(changed), countApps(kept))
			if c := res.Cache; c != nil {
				note += fmt.Sprintf("; of all %d apps rendered to select them, %d came from the render cache and %d had to be rendered", c.Hits+c.Misses, c.Hits, c.Misses)
			} else {
				note += "; every app was rendered to select them (no render cache)"
			}
			notes = append(notes, note)
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
	if c := res.Cache; c != nil {
		rep.Summary.Cache = &report.CacheSummary{Hits: c.Hits, Misses: c.Misses}
	}
	for _, c := range rendered {
		rc := report.Cluster{Name: c.Name, KubernetesVersion: c.KubernetesVersion, Apps: []report.App{}}
		rc.Production, rc.ProductionReason = opts.Config.ProductionReason(c.Name)
		if !rc.Production {
			rc.ProductionReason = ""
		}
		for _, a := range c.Apps {
			ra := report.App{Name: a.Name, Source: a.SourceType, Resources: len(a.Resources)}
			if a.Application != nil {
				ra.ApplicationSet = a.Application.GeneratedBy
			}
			rc.Apps = append(rc.Apps, ra)
		}
		rep.Clusters = append(rep.Clusters, rc)
	}
	in := &check.Input{Root: opts.Root, Config: opts.Config, Workspace: ws, Clusters: rendered,
		Images: opts.Images, Platforms: opts.Platforms, ChangedFiles: changed, Verdicts: opts.Cache.Verdicts()}
	// the stages are independent (each only reads the rendered clusters
	// and the workspace): they run at once, so the cores are busy while a
	// stage is serial or waits on a registry; results and the progress of
	// their ends are taken in stage order
	stages := Stages()
	type stageOut struct {
		res     check.Result
		err     error
		elapsed time.Duration
		done    chan struct{}
	}
	outs := make([]*stageOut, len(stages))
	for i, st := range stages {
		o := &stageOut{done: make(chan struct{})}
		outs[i] = o
		sin := *in
		sin.Progress = nil
		if unit, ok := stageUnits[st.Name]; ok {
			sin.Progress = opts.countProgress(st.Name, unit, true)
		}
		opts.progress(Progress{Stage: st.Name, Message: "checking"})
		go func() {
			defer close(o.done)
			start := time.Now()
			o.res, o.err = st.Run(ctx, &sin)
			o.elapsed = time.Since(start)
		}()
	}
	var stop error
	for i, st := range stages {
		o := outs[i]
		<-o.done
		if stop != nil {
			continue // wait for every stage before returning
		}
		res, err := o.res, o.err
		fs, skipped := res.Findings, res.Skipped
		var cfgErr *check.ConfigError
		if errors.As(err, &cfgErr) {
			stop = err // a bad configuration stops the run (exit 2)
			continue
		}
		msg := fmt.Sprintf("%d findings", len(fs))
		switch {
		case err != nil:
			msg = "could not run"
		case skipped != "":
			msg += ", skipped: " + skipped
		}
		opts.progress(Progress{Stage: st.Name, Done: true, Elapsed: o.elapsed, Message: msg})
		if err != nil {
			if ctx.Err() != nil {
				stop = fmt.Errorf("%s check: %w", st.Name, err)
				continue
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
	if stop != nil {
		return nil, stop
	}
	rep.Notes = append(rep.Notes, in.Verdicts.Notes()...)
	if rep.Summary.Cache != nil {
		rep.Summary.Cache.VerdictHits, rep.Summary.Cache.VerdictMisses = in.Verdicts.Counts()
	}
	// severity overrides (policy.severity, clusterSettings.*.severity)
	// apply to every check's findings, here, in one place
	rep.Findings = opts.Config.ApplySeverities(rep.Findings)
	describeRemoteCharts(rep.Findings, rendered)
	rep.Finalize()
	return rep, nil
}

// describeRemoteCharts says, in the message of every finding about an
// object rendered from a remote chart (whose templates are not in the repo,
// so the finding points at the Application line that chose the chart),
// which chart, version and template produced it.
func describeRemoteCharts(findings []report.Finding, clusters []*resource.Cluster) {
	charts := map[string]string{}
	for _, c := range clusters {
		for _, a := range c.Apps {
			for _, r := range a.Resources {
				if r.Origin.Chart != "" {
					charts[c.Name+"\x00"+a.Name+"\x00"+r.Ref().String()+"\x00"+r.Origin.File] = r.Origin.Chart
				}
			}
		}
	}
	if len(charts) == 0 {
		return
	}
	for i, f := range findings {
		if f.Resource == nil {
			continue
		}
		if ch, ok := charts[f.Cluster+"\x00"+f.App+"\x00"+f.Resource.String()+"\x00"+f.File]; ok && !strings.Contains(f.Message, ch) {
			findings[i].Message += " (rendered from " + ch + ")"
		}
	}
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
