package validate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// TestCheckCluster validates rendered resources whose origins are files of
// testdata/repo: findings carry the file and the line of the offending field,
// CRDs come from the checkout, duplicates across apps are reported.
func TestCheckCluster(t *testing.T) {
	root := "testdata/repo"
	crds, crdFindings, err := CRDsFromPaths(root, []string{"."})
	if err != nil || len(crdFindings) != 0 || len(crds) != 1 || crds[0].Source != "crds/widget.yaml:1" {
		t.Fatalf("CRDsFromPaths = %+v, %v, %v", crds, crdFindings, err)
	}
	deploy := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "shop", "creationTimestamp": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec": map[string]any{"containers": []any{map[string]any{
					"name": "web", "image": "nginx", "resource": map[string]any{"limits": map[string]any{"cpu": 1}},
				}}},
			},
		},
	}
	widget := map[string]any{"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "shop"},
		"spec":     map[string]any{"size": "big", "colour": "red"}}
	helmDeploy := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "rel", "namespace": "shop"},
		"spec": map[string]any{"replicas": "3", "selector": map[string]any{},
			"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "x"}}}}}}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "web-config", "namespace": "shop"}}
	c := &resource.Cluster{Name: "prod", KubernetesVersion: "1.33", Apps: []*resource.App{
		{Name: "web", Resources: []*resource.Resource{
			{Cluster: "prod", App: "web", Object: cm, Origin: resource.Origin{File: "apps/web/deployment.yaml", Line: 1}},
			{Cluster: "prod", App: "web", Object: deploy, Origin: resource.Origin{File: "apps/web/deployment.yaml", Line: 8}},
			{Cluster: "prod", App: "web", Object: widget, Origin: resource.Origin{File: "apps/web/widget.yaml", Line: 1}},
		}},
		{Name: "chart", Resources: []*resource.Resource{
			{Cluster: "prod", App: "chart", Object: helmDeploy, Origin: resource.Origin{File: "chart/templates/deployment.yaml"}},
			{Cluster: "prod", App: "chart", Object: cm, Origin: resource.Origin{File: "chart/templates/deployment.yaml"}},
		}},
	}}
	fs, err := CheckCluster(context.Background(), c, ClusterOptions{Root: root, Strict: true, CRDs: crds})
	if err != nil {
		t.Fatal(err)
	}
	got := formatFindings(sortFindings(fs))
	want := `chart/templates/deployment.yaml error schema/duplicate-resource [v1 ConfigMap/shop/web-config] ConfigMap/shop/web-config is also defined by app web (apps/web/deployment.yaml:1): Argo CD would apply both and they would fight
chart/templates/deployment.yaml:6 error schema/invalid [apps/v1 Deployment/shop/rel] spec.replicas: expected integer, got string
apps/web/deployment.yaml:24 error schema/invalid [apps/v1 Deployment/shop/web] spec.template.spec.containers[0].resource: unknown field "resource"
apps/web/widget.yaml:7 error schema/invalid [example.com/v1 Widget/shop/w] spec.colour: unknown field "colour"
`
	if got != want {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
	for _, f := range fs {
		if f.Cluster != "prod" || f.App == "" {
			t.Errorf("finding without cluster/app: %+v", f)
		}
	}
	// An unknown version is an error, not a finding.
	c.KubernetesVersion = "1.12"
	if _, err := CheckCluster(context.Background(), c, ClusterOptions{Root: root}); err == nil || !strings.Contains(err.Error(), "1.12") {
		t.Errorf("err = %v, want unknown version", err)
	}
}

func sortFindings(fs []report.Finding) []report.Finding { return report.Sort(fs) }
