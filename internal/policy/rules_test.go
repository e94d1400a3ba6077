package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// appSpec describes a test Application manifest.
type appSpec struct {
	name, project, annotations, labels, syncPolicy, source, namespace string
}

func (a appSpec) yaml() string {
	if a.name == "" {
		a.name = "web"
	}
	if a.source == "" {
		a.source = "  source:\n    repoURL: " + thisRepo + "\n    path: clusters/shop-prod/web\n"
	}
	if a.namespace == "" {
		a.namespace = "shop"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: %s\n  namespace: argocd\n", a.name)
	if a.labels != "" {
		b.WriteString("  labels:\n" + a.labels)
	}
	if a.annotations != "" {
		b.WriteString("  annotations:\n" + a.annotations)
	}
	b.WriteString("spec:\n")
	if a.project != "" {
		b.WriteString("  project: " + a.project + "\n")
	}
	b.WriteString(a.source)
	fmt.Fprintf(&b, "  destination:\n    server: https://kubernetes.default.svc\n    namespace: %s\n", a.namespace)
	if a.syncPolicy != "" {
		b.WriteString("  syncPolicy:\n" + a.syncPolicy)
	}
	return b.String()
}

const (
	autoSelfHeal = "    automated: {prune: true, selfHeal: true}\n    syncOptions: [CreateNamespace=true]\n"
	manualSync   = "    syncOptions: [CreateNamespace=true]\n"
	subscribed   = "    notifications.argoproj.io/subscribe.on-sync-failed.slack: shop-alerts\n"
)

func project(name, annotations, windows string) string {
	s := "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: " + name + "\n  namespace: argocd\n"
	if annotations != "" {
		s += "  annotations:\n" + annotations
	}
	s += "spec:\n  sourceRepos: ['*']\n  destinations:\n    - {server: https://kubernetes.default.svc, namespace: '*'}\n"
	if windows != "" {
		s += "  syncWindows:\n" + windows
	}
	return s
}

const denyAll = "    - kind: deny\n      schedule: '0 18 * * 5'\n      duration: 60h\n      applications: ['*']\n      manualSync: true\n"

// lineOf returns the 1-based line of the first line containing s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in:\n%s", s, text)
	return 0
}

// policyCase is a one-cluster repo: an app, a projects file, extra files.
type policyCase struct {
	name     string
	cluster  string // default shop-prod
	app      appSpec
	projects string
	extra    map[string]string
	config   string
	// want builds the expected findings from the written texts.
	want func(t *testing.T, appText, projText string) []want
}

func (pc policyCase) run(t *testing.T, rule string) {
	t.Helper()
	cl := pc.cluster
	if cl == "" {
		cl = "shop-prod"
	}
	appText := pc.app.yaml()
	files := map[string]string{
		"clusters/" + cl + "/apps/web.yaml":      appText,
		"clusters/shop-prod/web/deployment.yaml": "kind: Deployment\n",
	}
	if pc.projects != "" {
		files["clusters/"+cl+"/projects.yaml"] = pc.projects
	}
	for k, v := range pc.extra {
		files[k] = v
	}
	root := writeRepo(t, files)
	app := loadApp(t, root, cl, "clusters/"+cl+"/apps/web.yaml")
	got := only(check(t, root, testConfig(t, pc.config), &resource.Cluster{Name: cl, Dir: "clusters/" + cl, Apps: []*resource.App{app}}), rule)
	var wants []want
	if pc.want != nil {
		wants = pc.want(t, appText, pc.projects)
	}
	assertFindings(t, got, wants)
}

func TestSyncWindowRule(t *testing.T) {
	const projFile = "clusters/shop-prod/projects.yaml"
	const appFile = "clusters/shop-prod/apps/web.yaml"
	tests := []policyCase{
		{name: "deny window for all apps", app: appSpec{project: "shop", syncPolicy: autoSelfHeal}, projects: project("shop", "", denyAll)},
		{name: "manual sync needs no window", app: appSpec{project: "shop", syncPolicy: manualSync}, projects: project("shop", "", "")},
		{name: "automated disabled needs no window", app: appSpec{project: "shop", syncPolicy: "    automated: {enabled: false}\n"}, projects: project("shop", "", "")},
		{name: "not a production cluster", cluster: "shop-dev", app: appSpec{project: "shop", syncPolicy: autoSelfHeal}, projects: project("shop", "", "")},
		{name: "production by config", cluster: "shop-live", config: "policy: {production: ['*-live'], severity: {repo/sync-window: error}}\n",
			app: appSpec{project: "shop", syncPolicy: autoSelfHeal}, projects: project("shop", "", ""),
			want: func(t *testing.T, _, p string) []want {
				return []want{{"clusters/shop-live/projects.yaml", lineOf(t, p, "spec:"), "error", `AppProject "shop" defines no sync window`}}
			}},
		{name: "project without syncWindows", app: appSpec{project: "shop", syncPolicy: autoSelfHeal}, projects: project("shop", "", ""),
			want: func(t *testing.T, _, p string) []want {
				return []want{{projFile, lineOf(t, p, "spec:"), "warning", `Application "web" has automated sync with selfHeal but AppProject "shop" defines no sync window`}}
			}},
		{name: "windows select other apps", app: appSpec{project: "shop", syncPolicy: autoSelfHeal},
			projects: project("shop", "", "    - {kind: allow, schedule: '0 8 * * 1-5', duration: 10h, applications: ['billing-*']}\n"),
			want: func(t *testing.T, _, p string) []want {
				return []want{{projFile, lineOf(t, p, "syncWindows:"), "error", `no sync window of AppProject "shop" selects it`}}
			}},
		{name: "window by namespace", app: appSpec{project: "shop", syncPolicy: autoSelfHeal},
			projects: project("shop", "", "    - {kind: deny, schedule: '@daily', duration: 1h, namespaces: ['sh*']}\n")},
		{name: "window by cluster", app: appSpec{project: "shop", syncPolicy: autoSelfHeal},
			projects: project("shop", "", "    - {kind: deny, schedule: '0 0 * * *', duration: 1h, clusters: ['https://kubernetes.default.*']}\n")},
		{name: "andOperator needs every selector", app: appSpec{project: "shop", syncPolicy: autoSelfHeal},
			projects: project("shop", "", "    - {kind: deny, schedule: '0 0 * * *', duration: 1h, applications: ['web'], namespaces: ['billing'], andOperator: true}\n"),
			want: func(t *testing.T, _, p string) []want {
				return []want{{projFile, lineOf(t, p, "syncWindows:"), "error", "no sync window"}}
			}},
		{name: "invalid window", app: appSpec{project: "shop", syncPolicy: autoSelfHeal},
			projects: project("shop", "", "    - kind: sometimes\n      schedule: 'every friday'\n      duration: forever\n      applications: ['*']\n"),
			want: func(t *testing.T, _, p string) []want {
				return []want{
					// Sorted by app: the window finding has none.
					{projFile, lineOf(t, p, "- kind: sometimes"), "error", `sync window 0 is invalid: kind "sometimes" is not allow or deny; schedule "every friday"`},
					{projFile, lineOf(t, p, "syncWindows:"), "error", `Application "web" has automated sync with selfHeal but AppProject "shop" defines no sync window`},
				}
			}},
		{name: "default project not in the repo", app: appSpec{syncPolicy: "    automated: {}\n"},
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "spec:"), "warning", `has automated sync in project "default", which is not defined in the repo`}}
			}},
		{name: "shared project file outside clusters", app: appSpec{project: "shop", syncPolicy: autoSelfHeal},
			extra: map[string]string{"projects/shop.yaml": project("shop", "", "")},
			want: func(t *testing.T, _, _ string) []want {
				return []want{{"projects/shop.yaml", lineOf(t, project("shop", "", ""), "spec:"), "warning", "defines no sync window"}}
			}},
		// Seen, the project would be a finding; unseen, it is app-sanity's.
		{name: "another cluster's project is not visible", app: appSpec{project: "shop", syncPolicy: autoSelfHeal},
			extra: map[string]string{"clusters/other-prod/projects.yaml": project("shop", "", "")}},
		{name: "severity per cluster", app: appSpec{project: "shop", syncPolicy: autoSelfHeal}, projects: project("shop", "", ""),
			config: "clusterSettings: {shop-prod: {severity: {repo/sync-window: info}}}\n",
			want: func(t *testing.T, _, p string) []want {
				return []want{{projFile, lineOf(t, p, "spec:"), "info", "defines no sync window"}}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, report.RuleRepoSyncWindow) })
	}
}

func TestNotificationsRule(t *testing.T) {
	const appFile = "clusters/shop-prod/apps/web.yaml"
	const cm = `apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-notifications-cm
  namespace: argocd
data:
  service.slack: |
    token: $slack-token
  subscriptions: |
    - recipients: [slack:prod-alerts]
      triggers: [on-sync-failed, on-health-degraded]
      selector: tier=critical
`
	tests := []policyCase{
		{name: "annotated app", app: appSpec{project: "shop", annotations: subscribed}, projects: project("shop", "", "")},
		{name: "subscriptions annotation", app: appSpec{project: "shop", annotations: "    notifications.argoproj.io/subscriptions: |\n      - trigger: [on-sync-failed]\n        destinations: [{service: slack, recipients: [shop]}]\n"}, projects: project("shop", "", "")},
		{name: "annotated project", app: appSpec{project: "shop"}, projects: project("shop", subscribed, "")},
		{name: "bare app", app: appSpec{project: "shop"}, projects: project("shop", "", ""),
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "metadata:"), "warning", `the repo uses no Argo CD notifications (no subscription on any Application or AppProject, no argocd-notifications-cm): 1 Application(s) of production cluster(s) shop-prod have no notification subscription (first: "web")`}}
			}},
		{name: "empty recipients do not count", app: appSpec{project: "shop", annotations: "    notifications.argoproj.io/subscribe.on-sync-failed.slack: ''\n"}, projects: project("shop", "", ""),
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "annotations:"), "warning", "no notification subscription"}}
			}},
		{name: "default subscription selects the app", app: appSpec{project: "shop", labels: "    tier: critical\n"}, projects: project("shop", "", ""),
			extra: map[string]string{"argocd/argocd-notifications-cm.yaml": cm}},
		{name: "default subscription selects other apps", app: appSpec{project: "shop", labels: "    tier: batch\n"}, projects: project("shop", "", ""),
			extra: map[string]string{"argocd/argocd-notifications-cm.yaml": cm},
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "metadata:"), "warning", "no notification subscription"}}
			}},
		{name: "not production", cluster: "shop-staging", app: appSpec{project: "shop"}, projects: project("shop", "", "")},
		{name: "production: false wins over the name", config: "clusterSettings: {shop-prod: {production: false}}\n", app: appSpec{project: "shop"}, projects: project("shop", "", "")},
		{name: "turned off", config: "policy: {severity: {repo/notifications: \"off\"}}\n", app: appSpec{project: "shop"}, projects: project("shop", "", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, report.RuleRepoNotifications) })
	}
}

func TestAdoptionRule(t *testing.T) {
	const appFile = "clusters/shop-prod/apps/web.yaml"
	tests := []policyCase{
		{name: "off unless configured", app: appSpec{project: "shop", syncPolicy: autoSelfHeal}},
		{name: "automated app not adopted", config: "policy: {adoption: {adopted: [shop-prod/api, billing]}}\n",
			app: appSpec{project: "shop", syncPolicy: autoSelfHeal},
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "automated:"), "error", `Application "web" has automated sync but is not in policy.adoption.adopted`}}
			}},
		{name: "adopted by cluster/app", config: "policy: {adoption: {adopted: [shop-prod/web]}}\n", app: appSpec{project: "shop", syncPolicy: autoSelfHeal}},
		{name: "adopted by glob", config: "policy: {adoption: {adopted: ['*-prod/w*']}}\n", app: appSpec{project: "shop", syncPolicy: autoSelfHeal}},
		{name: "adopted in any cluster", config: "policy: {adoption: {adopted: [web]}}\n", app: appSpec{project: "shop", syncPolicy: autoSelfHeal}},
		{name: "manual app needs no adoption", config: "policy: {adoption: {adopted: []}}\n", app: appSpec{project: "shop", syncPolicy: manualSync}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, report.RuleRepoAdoption) })
	}
}

func TestAppSanityRule(t *testing.T) {
	const appFile = "clusters/shop-prod/apps/web.yaml"
	helmSource := func(extra string) string {
		return "  source:\n    repoURL: " + thisRepo + "\n    path: _base/charts/web\n    helm:\n" + extra
	}
	chart := map[string]string{"_base/charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n", "clusters/shop-prod/values/web.yaml": "replicas: 2\n"}
	tests := []policyCase{
		{name: "all good", app: appSpec{project: "shop", syncPolicy: manualSync, source: helmSource("      valueFiles: [/clusters/shop-prod/values/web.yaml, ../../../clusters/*/values/web.yaml]\n")},
			projects: project("shop", "", ""), extra: chart},
		{name: "undefined project", app: appSpec{project: "shopp", syncPolicy: manualSync},
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "project: shopp"), "warning", `project "shopp" is not defined in the repo, which defines no AppProject`}}
			}},
		{name: "undefined project in a repo that defines projects", app: appSpec{project: "shopp", syncPolicy: manualSync},
			projects: "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: shop\nspec:\n  sourceRepos: ['*']\n  destinations: [{server: '*', namespace: '*'}]\n",
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "project: shopp"), "error", `project "shopp" is not defined in the repo`}}
			}},
		{name: "default project needs no definition", app: appSpec{syncPolicy: manualSync}},
		{name: "source path missing", app: appSpec{source: "  source:\n    repoURL: " + thisRepo + "\n    path: clusters/shop-prod/wbe\n", syncPolicy: manualSync},
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "path: clusters/shop-prod/wbe"), "error", `source path "clusters/shop-prod/wbe" does not exist`}}
			}},
		{name: "other repo's path is not checked", app: appSpec{source: "  source:\n    repoURL: https://github.com/acme/other\n    path: deploy\n", syncPolicy: manualSync}},
		{name: "values file missing", app: appSpec{source: helmSource("      valueFiles:\n        - values-common.yaml\n        - /clusters/shop-prod/values/$ARGOCD_APP_NAME.yaml\n        - /clusters/shop-prod/values/missing-$ARGOCD_APP_NAMESPACE.yaml\n"), syncPolicy: manualSync},
			extra: chart,
			want: func(t *testing.T, a, _ string) []want {
				return []want{
					{appFile, lineOf(t, a, "- values-common.yaml"), "error", `values file "values-common.yaml" (_base/charts/web/values-common.yaml) does not exist`},
					{appFile, lineOf(t, a, "missing-$ARGOCD"), "error", "(clusters/shop-prod/values/missing-shop.yaml) does not exist"},
				}
			}},
		{name: "ignoreMissingValueFiles", app: appSpec{source: helmSource("      ignoreMissingValueFiles: true\n      valueFiles: [nope.yaml]\n"), syncPolicy: manualSync}, extra: chart},
		{name: "glob matching nothing", app: appSpec{source: helmSource("      valueFiles: ['/clusters/*/values/api*.yaml']\n"), syncPolicy: manualSync}, extra: chart,
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "valueFiles:"), "error", "does not exist"}}
			}},
		{name: "multi-source $values ref", extra: chart, app: appSpec{syncPolicy: manualSync, source: `  sources:
    - repoURL: https://charts.example.com
      chart: web
      targetRevision: 1.2.3
      helm:
        valueFiles:
          - $values/clusters/shop-prod/values/web.yaml
          - $values/clusters/shop-prod/values/gone.yaml
          - values-from-chart.yaml
    - repoURL: ` + thisRepo + `
      ref: values
`},
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "gone.yaml"), "error", `values file "$values/clusters/shop-prod/values/gone.yaml" (clusters/shop-prod/values/gone.yaml) does not exist`}}
			}},
		{name: "destination namespace not created: a warning even when the rule is an error", app: appSpec{syncPolicy: "    automated: {}\n"},
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "namespace: shop"), "warning", `destination namespace "shop" is created by no app`}}
			}},
		{name: "namespace warning can be lowered", config: "policy: {severity: {repo/app-sanity: info}}\n", app: appSpec{syncPolicy: "    automated: {}\n"},
			want: func(t *testing.T, a, _ string) []want {
				return []want{{appFile, lineOf(t, a, "namespace: shop"), "info", `destination namespace "shop"`}}
			}},
		{name: "builtin namespace", app: appSpec{namespace: "kube-system"}},
		{name: "AppProject that does not decode", app: appSpec{project: "shop", syncPolicy: manualSync},
			projects: "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: shop\nspec:\n  syncWindows: none\n",
			want: func(t *testing.T, a, _ string) []want {
				return []want{
					{"clusters/shop-prod/projects.yaml", 1, "error", `AppProject "shop" does not decode`},
					{appFile, lineOf(t, a, "project: shop"), "error", `project "shop" is not defined in the repo`},
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, report.RuleRepoAppSanity) })
	}
}

// TestAppSanityAcrossApps covers the checks between Applications of a cluster.
func TestAppSanityAcrossApps(t *testing.T) {
	web := appSpec{name: "web", syncPolicy: manualSync}.yaml()
	web2 := appSpec{name: "web", syncPolicy: manualSync, namespace: "shop2"}.yaml()
	api := appSpec{name: "api", syncPolicy: manualSync, namespace: "api"}.yaml()
	root := writeRepo(t, map[string]string{
		"clusters/shop-prod/apps/web.yaml":        web,
		"clusters/shop-prod/apps/web-copy.yaml":   web2,
		"clusters/shop-prod/apps/api.yaml":        api,
		"clusters/shop-prod/web/deployment.yaml":  "kind: Deployment\n",
		"clusters/shop-prod/web/namespace.yaml":   "kind: Namespace\n",
		"clusters/other-prod/apps/web.yaml":       web,
		"clusters/shop-prod/apps/disabled/x.yaml": "# not an app\n",
	})
	ns := obj(t, "clusters/shop-prod/web/namespace.yaml", 1, "apiVersion: v1\nkind: Namespace\nmetadata: {name: api}\n")
	cmWeb := obj(t, "clusters/shop-prod/web/deployment.yaml", 1, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: shop}\n")
	cmAPI := obj(t, "clusters/shop-prod/web/deployment.yaml", 1, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: shop}\n")
	clWeb := loadApp(t, root, "shop-prod", "clusters/shop-prod/apps/web.yaml", ns, cmWeb)
	clAPI := loadApp(t, root, "shop-prod", "clusters/shop-prod/apps/api.yaml", cmAPI)
	cl := &resource.Cluster{Name: "shop-prod", Dir: "clusters/shop-prod", Apps: []*resource.App{clAPI, clWeb}}
	got := only(check(t, root, testConfig(t, ""), cl), report.RuleRepoAppSanity)
	wants := []want{
		// The copy in web-copy.yaml is found in the cluster directory though discovery kept one.
		{"clusters/shop-prod/apps/web.yaml", 1, "error", `Application "web" in namespace "argocd" is also defined at clusters/shop-prod/apps/web-copy.yaml:1`},
		// api renders the ConfigMap web also renders (app order: api first).
		{"clusters/shop-prod/web/deployment.yaml", 1, "error", `ConfigMap/shop/shared is managed by two Applications, "api" and "web"`},
	}
	// Namespace "api" is created by web's Namespace object; "shop" is only
	// covered by CreateNamespace=true (manualSync carries it).
	assertFindings(t, got, wants)
	if got[1].Resource == nil || got[1].Resource.Kind != "ConfigMap" || got[1].App != "web" {
		t.Errorf("shared resource finding: %+v", got[1])
	}
	if got[0].App != "web" || got[0].Cluster != "shop-prod" || got[0].Severity != report.SeverityError {
		t.Errorf("duplicate app finding: %+v", got[0])
	}
}
