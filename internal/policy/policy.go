// Package policy implements the repo/... rules: checks of the config repo as
// a GitOps control plane rather than of single manifests. CODEOWNERS covers
// every cluster, production Applications have sync windows and notification
// subscriptions, Applications make sense together (projects, paths, values
// files, names, ownership of resources, namespaces), and automated sync is
// only turned on for adopted apps. See docs/policy.md.
package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
	"github.com/render-check/render-check/internal/yamlpos"
)

func defaultSeverity(rule string) report.Severity {
	if r, ok := report.LookupRule(rule); ok {
		return r.Severity
	}
	return report.SeverityError
}

// Input is what the rules read.
type Input struct {
	// Root is the config repo checkout.
	Root string
	// Config is the loaded configuration (nil means defaults).
	Config *config.Config
	// Clusters are the rendered clusters selected for this run.
	Clusters []*resource.Cluster
	// Workspace is the opened checkout (nil: Root is opened with Config).
	Workspace *workspace.Workspace
	// Files are the repo's files relative to Root, sorted; nil means the
	// workspace's file list.
	Files []string
	// Verdicts, when set, keeps what the repo scan found in each directory
	// of YAML files across runs (keyed by the files' names and git blob
	// ids); nil: every file is read and parsed.
	Verdicts *rendercache.Verdicts
}

// checker holds the state of one Check run.
type checker struct {
	// notificationsUsed: some Application, AppProject or
	// argocd-notifications-cm of the repo subscribes to notifications
	notificationsUsed bool
	// unnotified are the per-app repo/notifications findings of a repo that
	// uses no notifications, folded into one
	unnotified []report.Finding
	root       string
	cfg        *config.Config
	clusters   []*resource.Cluster
	files      []string
	fileSet    map[string]bool
	dirSet     map[string]bool
	idx        *yamlpos.Index
	repo       *workspace.Workspace
	scanned    *scan
	findings   []report.Finding
	verdicts   *rendercache.Verdicts
	// clusterDirs keeps clusterDirOf's answers
	clusterDirs map[string]string
}

// Check runs every repo rule. An error means the rules could not run (e.g.
// the root cannot be listed); problems in the repo are findings.
func Check(ctx context.Context, in Input) ([]report.Finding, error) {
	cfg := in.Config
	if cfg == nil {
		cfg = config.Default()
	}
	if err := cfg.ValidatePolicy(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	ws := in.Workspace
	if ws == nil {
		var err error
		if ws, err = workspace.Open(ctx, in.Root, workspace.Settings{Config: cfg}); err != nil {
			return nil, err
		}
	}
	files := in.Files
	if files == nil {
		var err error
		if files, err = ws.Files(ctx); err != nil {
			return nil, err
		}
	}
	c := &checker{
		root: in.Root, cfg: cfg, clusters: in.Clusters, files: files,
		fileSet: map[string]bool{}, dirSet: map[string]bool{}, idx: yamlpos.NewIndex(), verdicts: in.Verdicts,
	}
	for _, f := range files {
		c.fileSet[f] = true
		for d := f; ; {
			i := strings.LastIndexByte(d, '/')
			if i < 0 {
				break
			}
			d = d[:i]
			if c.dirSet[d] {
				break
			}
			c.dirSet[d] = true
		}
	}
	c.repo = ws
	c.scanned = c.scanRepo(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.checkCodeOwners()
	envs := make([]*env, len(c.clusters))
	for i, cl := range c.clusters {
		envs[i] = c.clusterEnv(cl)
	}
	c.notificationsUsed = c.usesNotifications(envs)
	for i, cl := range c.clusters {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		env := envs[i]
		c.checkSanity(cl, env)
		if prod, why := c.cfg.ProductionReason(cl.Name); prod {
			from := len(c.findings)
			c.checkSyncWindows(cl, env)
			c.checkNotifications(cl, env)
			for i := from; i < len(c.findings); i++ {
				c.findings[i].Message += " (production cluster: " + why + ")"
			}
		}
		c.checkAdoption(cl)
	}
	c.foldNotifications()
	return report.Sort(c.findings), nil
}

// add records a finding with its rule's default severity, at most max ("" =
// no cap), under the configured overrides (config.Severity, the one
// resolver every check's findings go through).
func (c *checker) add(f report.Finding, max report.Severity) {
	f.Severity = defaultSeverity(f.Rule)
	if max != "" && f.Severity.Rank() > max.Rank() {
		f.Severity = max
	}
	sev, ok := c.cfg.Severity(f)
	if !ok {
		return
	}
	f.Severity = sev
	c.findings = append(c.findings, f)
}

// addUnlessOptedIn is add for a finding of a rule the repo may not have
// opted into yet: at most a warning unless the rule's severity is set in the
// configuration (then that severity applies).
func (c *checker) addUnlessOptedIn(f report.Finding) {
	if c.cfg.RuleSeverityConfigured(f.Cluster, f.Rule) {
		c.add(f, "")
		return
	}
	c.add(f, report.SeverityWarning)
}

// enabled reports whether rule is on for the cluster.
func (c *checker) enabled(cluster, rule string) bool {
	return c.cfg.RuleSeverity(cluster, rule, "") != config.SeverityOff
}

// appLine returns the line of the deepest existing key of path in the
// Application's manifest (the manifest's line when none exists).
func (c *checker) appLine(app *argo.Application, path ...string) int {
	return c.idx.FieldLine(c.root, resource.Origin{File: app.File, Line: app.Line}, "Application", app.Metadata.Name, path)
}

// projectLine is appLine for an AppProject.
func (c *checker) projectLine(p *argo.AppProject, path ...string) int {
	return c.idx.FieldLine(c.root, resource.Origin{File: p.File, Line: p.Line}, "AppProject", p.Metadata.Name, path)
}

// automated reports whether the Application syncs automatically.
func automated(a *argo.Application) bool {
	sp := a.Spec.SyncPolicy
	return sp != nil && sp.Automated != nil && (sp.Automated.Enabled == nil || *sp.Automated.Enabled)
}

// projectName returns the Application's project, "default" when unset.
func projectName(a *argo.Application) string {
	if a.Spec.Project == "" {
		return "default"
	}
	return a.Spec.Project
}

// apps returns the cluster's apps that are Argo CD Applications.
func apps(cl *resource.Cluster) []*resource.App {
	var out []*resource.App
	for _, a := range cl.Apps {
		if a.Application != nil {
			out = append(out, a)
		}
	}
	return out
}

// appFinding starts a finding about an app.
func appFinding(rule string, cl *resource.Cluster, a *resource.App, file string, line int, msg string) report.Finding {
	return report.Finding{Rule: rule, Cluster: cl.Name, App: a.Name, File: file, Line: line, Message: msg}
}
