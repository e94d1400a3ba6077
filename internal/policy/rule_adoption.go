package policy

import (
	"fmt"
	"path"
	"strings"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// checkAdoption: when the config has an adoption list, every Application
// with automated sync is on it, i.e. its rendered output was diffed empty
// against the live cluster before Argo CD was allowed to apply it.
func (c *checker) checkAdoption(cl *resource.Cluster) {
	ad := c.cfg.Policy.Adoption
	if ad == nil || !c.enabled(cl.Name, report.RuleRepoAdoption) {
		return
	}
	for _, a := range apps(cl) {
		app := a.Application
		if !automated(app) || adopted(ad.Adopted, cl.Name, a.Name) {
			continue
		}
		c.add(appFinding(report.RuleRepoAdoption, cl, a, app.File, c.appLine(app, "spec", "syncPolicy", "automated"),
			fmt.Sprintf("Application %q has automated sync but is not in policy.adoption.adopted: diff it against the live cluster (render-check diff --live), then add \"%s/%s\" to the list, or remove syncPolicy.automated", a.Name, cl.Name, a.Name)), "")
	}
}

// adopted reports whether an entry ("cluster/app" or "app", globs) names the app.
func adopted(entries []string, cluster, app string) bool {
	for _, e := range entries {
		cg, ag, ok := strings.Cut(e, "/")
		if !ok {
			cg, ag = "*", e
		}
		okC, _ := path.Match(cg, cluster)
		okA, _ := path.Match(ag, app)
		if okC && okA {
			return true
		}
	}
	return false
}
