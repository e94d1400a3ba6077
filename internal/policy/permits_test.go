package policy

import (
	"testing"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/report"
)

func TestSourcePermitted(t *testing.T) {
	p := &argo.AppProject{Spec: argo.ProjectSpec{SourceRepos: []string{
		"https://github.com/acme/*", "!https://github.com/acme/forbidden.git", "git@git.example.com:platform/gitops-config.git", "registry.example.com/charts/**",
	}}}
	for url, want := range map[string]bool{
		"https://github.com/acme/shop":                   true,
		"https://GitHub.com/acme/shop.git/":              true,
		"git@github.com:acme/shop.git":                   true,
		"https://github.com/acme/team/nested":            false, // * stops at /
		"https://github.com/acme/forbidden":              false,
		"https://git.example.com/platform/gitops-config": true,
		"registry.example.com/charts/a/b":                true,
		"https://github.com/other/shop":                  false,
	} {
		if got := sourcePermitted(p, url); got != want {
			t.Errorf("sourcePermitted(%q) = %v, want %v", url, got, want)
		}
	}
	if !sourcePermitted(&argo.AppProject{Spec: argo.ProjectSpec{SourceRepos: []string{"*"}}}, "https://anything/x") {
		t.Error(`"*" must allow everything`)
	}
}

func TestDestinationPermitted(t *testing.T) {
	const incluster = "https://kubernetes.default.svc"
	p := &argo.AppProject{Spec: argo.ProjectSpec{Destinations: []argo.ProjectDestination{
		{Server: incluster, Namespace: "shop-*"},
		{Name: "edge-*", Namespace: "edge"},
		{Server: "*", Namespace: "!kube-system"},
	}}}
	for _, tt := range []struct {
		d    argo.Destination
		want bool
	}{
		{argo.Destination{Server: incluster, Namespace: "shop-web"}, true},
		{argo.Destination{Server: "https://other", Namespace: "anything"}, true},
		{argo.Destination{Server: incluster, Namespace: "kube-system"}, false},
		{argo.Destination{Name: "edge-1", Namespace: "edge"}, true},
		// By name against server-only entries: undecidable offline, allowed.
		{argo.Destination{Name: "in-cluster", Namespace: "shop-web"}, true},
	} {
		if got := destinationPermitted(p, tt.d); got != tt.want {
			t.Errorf("destinationPermitted(%+v) = %v, want %v", tt.d, got, tt.want)
		}
	}
	strict := &argo.AppProject{Spec: argo.ProjectSpec{Destinations: []argo.ProjectDestination{{Server: incluster, Namespace: "shop"}}}}
	if destinationPermitted(strict, argo.Destination{Server: incluster, Namespace: "billing"}) {
		t.Error("namespace billing allowed by a project that allows only shop")
	}
	if destinationPermitted(&argo.AppProject{}, argo.Destination{Server: incluster, Namespace: "shop"}) {
		t.Error("a project without destinations allows nothing")
	}
}

func TestAppSanityPermits(t *testing.T) {
	const appFile = "clusters/shop-prod/apps/web.yaml"
	strict := `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: shop
spec:
  sourceRepos: ['https://github.com/acme/*']
  destinations:
    - {server: https://kubernetes.default.svc, namespace: billing}
`
	pc := policyCase{app: appSpec{project: "shop", syncPolicy: manualSync}, projects: strict,
		want: func(t *testing.T, a, _ string) []want {
			return []want{
				{appFile, lineOf(t, a, "repoURL:"), "error", `repoURL "` + thisRepo + `" is not in the sourceRepos of AppProject "shop" (clusters/shop-prod/projects.yaml:1)`},
				{appFile, lineOf(t, a, "destination:"), "error", `destination https://kubernetes.default.svc namespace "shop" is not allowed by the destinations of AppProject "shop"`},
			}
		}}
	pc.run(t, report.RuleRepoAppSanity)
}
