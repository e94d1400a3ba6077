package render

import (
	"fmt"
	"path"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// defaultExclusions are dropped from rendered output as Argo CD does: the
// controller's built-in exclusions and the stock argocd-cm of v3.
var defaultExclusions = []config.ResourceFilter{
	{APIGroups: []string{"events.k8s.io", "metrics.k8s.io"}, Kinds: []string{"*"}},
	{APIGroups: []string{""}, Kinds: []string{"Event"}},
	{APIGroups: []string{"", "discovery.k8s.io"}, Kinds: []string{"Endpoints", "EndpointSlice"}},
	{APIGroups: []string{"coordination.k8s.io"}, Kinds: []string{"Lease"}},
	{APIGroups: []string{"authentication.k8s.io", "authorization.k8s.io"}, Kinds: []string{
		"SelfSubjectReview", "TokenReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview",
		"SelfSubjectRulesReview", "SubjectAccessReview"}},
	{APIGroups: []string{"certificates.k8s.io"}, Kinds: []string{"CertificateSigningRequest"}},
	{APIGroups: []string{"cert-manager.io"}, Kinds: []string{"CertificateRequest"}},
	{APIGroups: []string{"cilium.io"}, Kinds: []string{"CiliumIdentity", "CiliumEndpoint", "CiliumEndpointSlice"}},
	{APIGroups: []string{"kyverno.io", "reports.kyverno.io", "wgpolicyk8s.io"}, Kinds: []string{
		"PolicyReport", "ClusterPolicyReport", "EphemeralReport", "ClusterEphemeralReport", "AdmissionReport",
		"ClusterAdmissionReport", "BackgroundScanReport", "ClusterBackgroundScanReport", "UpdateRequest"}},
}

// expandLists replaces every object with a top-level items array (a List)
// by its items, keeping the List's origin. A List whose items is null (and
// that has no spec or status) is dropped, as the repo-server's isNullList.
func expandLists(in []*resource.Resource) []*resource.Resource {
	out := make([]*resource.Resource, 0, len(in))
	for _, r := range in {
		if isNullList(r.Object) {
			continue
		}
		if _, ok := r.Object["items"].([]any); !ok {
			out = append(out, r)
			continue
		}
		for _, obj := range resource.ExpandList(r.Object) {
			out = append(out, &resource.Resource{
				Cluster: r.Cluster, App: r.App, Object: obj, Origin: r.Origin, ValuesFiles: r.ValuesFiles,
			})
		}
	}
	return out
}

// isNullList reports an object like `kind: SecretList` with `items: null`.
func isNullList(obj map[string]any) bool {
	if _, ok := obj["spec"]; ok {
		return false
	}
	if _, ok := obj["status"]; ok {
		return false
	}
	items, ok := obj["items"]
	return ok && items == nil
}

// finalize applies the controller's post-processing to one app's rendered
// objects: namespaces, duplicates (last wins, with a warning), exclusions.
func finalize(app *resource.App, destNS string, sc *scopes, exclusions []config.ResourceFilter) []report.Finding {
	var findings []report.Finding
	for _, r := range app.Resources {
		meta, _ := r.Object["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			r.Object["metadata"] = meta
		}
		if sc.namespaced(r.Group(), r.Kind()) {
			if ns, _ := meta["namespace"].(string); ns == "" && destNS != "" {
				meta["namespace"] = destNS
			}
		} else {
			delete(meta, "namespace")
		}
	}
	last := map[string]int{}
	for i, r := range app.Resources {
		last[r.Key()] = i
	}
	kept := app.Resources[:0:0]
	for i, r := range app.Resources {
		if last[r.Key()] != i {
			winner := app.Resources[last[r.Key()]]
			findings = append(findings, report.Finding{
				Rule: report.RuleRenderDuplicateResource, Severity: report.SeverityWarning, Cluster: app.Cluster, App: app.Name,
				File: r.Origin.File, Line: r.Origin.Line, Resource: r.Ref(),
				Message: fmt.Sprintf("%s is rendered more than once; Argo CD applies the last one (%s)", r.Ref(), location(winner.Origin)),
			})
			continue
		}
		if excluded(r, app.Cluster, exclusions) {
			continue
		}
		kept = append(kept, r)
	}
	app.Resources = kept
	return findings
}

func location(o resource.Origin) string {
	if o.Line > 0 {
		return fmt.Sprintf("%s:%d", o.File, o.Line)
	}
	return o.File
}

func excluded(r *resource.Resource, cluster string, filters []config.ResourceFilter) bool {
	for _, f := range defaultExclusions {
		if filterMatches(f, r.Group(), r.Kind(), cluster) {
			return true
		}
	}
	for _, f := range filters {
		if filterMatches(f, r.Group(), r.Kind(), cluster) {
			return true
		}
	}
	return false
}

func filterMatches(f config.ResourceFilter, group, kind, cluster string) bool {
	return globAny(f.APIGroups, group) && globAny(f.Kinds, kind) && globAny(f.Clusters, cluster)
}

// globAny matches s against any pattern; an empty list matches everything.
func globAny(patterns []string, s string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, err := path.Match(p, s); err == nil && ok {
			return true
		}
	}
	return false
}
