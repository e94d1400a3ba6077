package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// checkSyncWindows: in a production cluster, every Application with
// automated sync has a sync window of its AppProject that applies to it, so
// that automated changes (and selfHeal) can be frozen or scheduled.
func (c *checker) checkSyncWindows(cl *resource.Cluster, e *env) {
	if !c.enabled(cl.Name, report.RuleRepoSyncWindow) {
		return
	}
	valid := map[string][]argo.SyncWindow{}
	anyWindow := false
	for _, name := range sortedKeys(e.projects) {
		valid[name] = c.validWindows(cl, e.projects[name])
		anyWindow = anyWindow || len(e.projects[name].Spec.SyncWindows) > 0
	}
	for _, p := range c.scanned.projects {
		anyWindow = anyWindow || len(p.Spec.SyncWindows) > 0
	}
	// A repo none of whose AppProjects (in its files or this cluster's
	// output) has a sync window has not adopted them yet: its missing
	// windows are warnings unless the rule is configured.
	add := func(f report.Finding) {
		if anyWindow {
			c.add(f, "")
		} else {
			c.addUnlessOptedIn(f)
		}
	}
	for _, a := range apps(cl) {
		app := a.Application
		if !automated(app) {
			continue
		}
		how := "automated sync"
		if app.Spec.SyncPolicy.Automated.SelfHeal {
			how = "automated sync with selfHeal"
		}
		pn := projectName(app)
		p := e.projects[pn]
		if p == nil {
			if pn == "default" {
				add(appFinding(report.RuleRepoSyncWindow, cl, a, app.File, c.appLine(app, "spec", "project"),
					fmt.Sprintf("Application %q has %s in project \"default\", which is not defined in the repo and so has no sync window: use an AppProject with syncWindows", app.Metadata.Name, how)))
			}
			continue // an undefined project is a repo/app-sanity finding
		}
		ws := valid[pn]
		if len(ws) == 0 {
			add(appFinding(report.RuleRepoSyncWindow, cl, a, p.File, c.projectLine(p, "spec", "syncWindows"),
				fmt.Sprintf("Application %q has %s but AppProject %q defines no sync window: add spec.syncWindows (e.g. a deny window for change freezes)", app.Metadata.Name, how, pn)))
			continue
		}
		applies := false
		for _, w := range ws {
			if windowMatches(w, app) {
				applies = true
				break
			}
		}
		if !applies {
			c.add(appFinding(report.RuleRepoSyncWindow, cl, a, p.File, c.projectLine(p, "spec", "syncWindows"),
				fmt.Sprintf("Application %q has %s but no sync window of AppProject %q selects it (by applications, namespaces or clusters)", app.Metadata.Name, how, pn)), "")
		}
	}
}

// validWindows returns the project's well-formed windows and reports the
// others (once per project and cluster).
func (c *checker) validWindows(cl *resource.Cluster, p *argo.AppProject) []argo.SyncWindow {
	var out []argo.SyncWindow
	for i, w := range p.Spec.SyncWindows {
		var problems []string
		if w.Kind != "allow" && w.Kind != "deny" {
			problems = append(problems, fmt.Sprintf("kind %q is not allow or deny", w.Kind))
		}
		if _, err := cronParser.Parse(w.Schedule); err != nil {
			problems = append(problems, fmt.Sprintf("schedule %q: %v", w.Schedule, err))
		}
		if d, err := time.ParseDuration(w.Duration); err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("duration %q is not a positive duration such as 1h", w.Duration))
		}
		if len(w.Applications)+len(w.Namespaces)+len(w.Clusters) == 0 {
			problems = append(problems, "it selects nothing (no applications, namespaces or clusters)")
		}
		if len(problems) > 0 {
			c.add(report.Finding{Rule: report.RuleRepoSyncWindow, Cluster: cl.Name, File: p.File,
				Line:    c.projectLine(p, "spec", "syncWindows", strconv.Itoa(i)),
				Message: fmt.Sprintf("AppProject %q sync window %d is invalid: %s", p.Metadata.Name, i, strings.Join(problems, "; "))}, "")
			continue
		}
		out = append(out, w)
	}
	return out
}

// windowMatches reports whether a window selects the app, as Argo CD does:
// any selector matching (all of the set ones with andOperator).
func windowMatches(w argo.SyncWindow, app *argo.Application) bool {
	d := app.Spec.Destination
	type sel struct {
		globs  []string
		values []string
	}
	sels := []sel{
		{w.Applications, []string{app.Metadata.Name}},
		{w.Namespaces, []string{d.Namespace}},
		{w.Clusters, []string{d.Server, d.Name}},
	}
	matched, set := 0, 0
	for _, s := range sels {
		if len(s.globs) == 0 {
			continue
		}
		set++
		if anyGlob(s.globs, s.values...) {
			matched++
		}
	}
	if w.AndOperator {
		return set > 0 && matched == set
	}
	return matched > 0
}

// anyGlob reports whether a glob matches a non-empty value. Argo CD globs:
// * matches any run of characters, / included.
func anyGlob(globs []string, values ...string) bool {
	for _, g := range globs {
		for _, v := range values {
			if v != "" && matchSeg(g, v, true) {
				return true
			}
		}
	}
	return false
}
