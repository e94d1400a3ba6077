package render

import (
	"context"
	"fmt"

	"github.com/render-check/render-check/internal/appset"
	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/rendercache"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// expandRendered expands an ApplicationSet found in an app's rendered output
// (app-of-apps): the Applications it generates become children of that app,
// in the same cluster. One already expanded at discovery (a manifest in the
// cluster directory) adds nothing.
func (r *renderer) expandRendered(ctx context.Context, cl *cluster, parent string, rs *resource.Resource) ([]*argo.Application, []report.Finding) {
	if isDiscoveredAppSet(ctx, r.repo, rs.Origin.File, rs.Name()) {
		return nil, nil
	}
	// its generators read the checkout and the cluster inventory beyond
	// the app's inputs
	rendercache.FromContext(ctx).Uncacheable("ApplicationSet expanded from rendered output")
	env, err := AppSetEnv(ctx, r.repo)
	if err != nil {
		return nil, []report.Finding{{
			Rule: report.RuleRenderFailed, Severity: report.SeverityError, Cluster: cl.name, App: parent,
			File: rs.Origin.File, Line: rs.Origin.Line, Message: fmt.Sprintf("ApplicationSet %s: %v", rs.Name(), err),
		}}
	}
	res := appset.Expand(appset.Input{Object: rs.Object, File: rs.Origin.File, Line: rs.Origin.Line}, env)
	findings := make([]report.Finding, 0, len(res.Findings))
	for _, f := range res.Findings {
		f.Cluster = cl.name
		if f.App == "" {
			f.App = parent
		}
		findings = append(findings, f)
	}
	var children []*argo.Application
	for _, a := range res.Apps {
		child, err := argo.DecodeApplication(a.Object)
		if err != nil {
			findings = append(findings, report.Finding{
				Rule: appset.RuleInvalid, Severity: report.SeverityError, Cluster: cl.name, App: parent,
				File: a.File, Line: a.Line, Message: fmt.Sprintf("ApplicationSet %s generates an invalid Application %s: %v", a.AppSet, a.Name, err),
			})
			continue
		}
		child.File, child.Line, child.GeneratedBy, child.GeneratorInputs = a.File, a.Line, a.AppSet, a.Inputs
		children = append(children, child)
	}
	return children, findings
}
