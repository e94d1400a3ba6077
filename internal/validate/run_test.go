package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/check"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
)

// TestRun runs the schema check over a cluster rendered from
// testdata/repo: the Widget CRD is found in the checkout, the
// cluster's version is the one render decided, and findings point at source lines.
func TestRun(t *testing.T) {
	cfg, err := config.Parse("test", []byte("validate:\n  skipKinds: [ConfigMap]\n"))
	if err != nil {
		t.Fatal(err)
	}
	widget := map[string]any{"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "shop"},
		"spec":     map[string]any{"size": "big", "colour": "red"}}
	flow := map[string]any{"apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3", "kind": "FlowSchema",
		"metadata": map[string]any{"name": "f"}, "spec": map[string]any{"priorityLevelConfiguration": map[string]any{"name": "x"}}}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}, "bogus": true}
	in := &check.Input{Root: "testdata/repo", Config: cfg, Clusters: []*resource.Cluster{{
		Name: "prod", KubernetesVersion: "1.31", Apps: []*resource.App{{Name: "web", Cluster: "prod", Resources: []*resource.Resource{
			{Cluster: "prod", App: "web", Object: widget, Origin: resource.Origin{File: "apps/web/widget.yaml", Line: 1}},
			{Cluster: "prod", App: "web", Object: flow, Origin: resource.Origin{File: "apps/web/flow.yaml"}},
			{Cluster: "prod", App: "web", Object: cm, Origin: resource.Origin{File: "apps/web/deployment.yaml", Line: 1}},
		}}},
	}}}
	res, err := Run(context.Background(), in)
	if err != nil || res.Skipped != "" {
		t.Fatalf("err %v, skipped %q", err, res.Skipped)
	}
	fs := res.Findings
	var got []string
	for _, f := range fs {
		got = append(got, f.Location()+" "+f.Rule+" "+f.Message)
	}
	want := []string{
		`apps/web/widget.yaml:7 schema/invalid spec.colour: unknown field "colour"`,
		"apps/web/flow.yaml schema/deprecated-api flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is deprecated: Kubernetes 1.32 no longer serves it; use flowcontrol.apiserver.k8s.io/v1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// through the workspace's file list: the same CRDs, the same findings
	ws, err := workspace.Open(t.Context(), in.Root, workspace.Settings{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	in.Workspace = ws
	res2, err := Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var got2 []string
	for _, f := range res2.Findings {
		got2 = append(got2, f.Location()+" "+f.Rule+" "+f.Message)
	}
	if strings.Join(got2, "\n") != strings.Join(want, "\n") {
		t.Errorf("with a workspace:\n%s\nwant:\n%s", strings.Join(got2, "\n"), strings.Join(want, "\n"))
	}
	// 1.33 no longer serves v1beta3.
	in.Clusters[0].KubernetesVersion = "1.33"
	res, err = Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	fs = res.Findings
	found := false
	for _, f := range fs {
		found = found || (f.Rule == "schema/removed-api" && f.Cluster == "prod")
	}
	if !found {
		t.Errorf("want schema/removed-api at 1.33, got %+v", fs)
	}
	// An unknown version makes the stage fail (reported as schema/failed).
	in.Clusters[0].KubernetesVersion = "1.2"
	if _, err := Run(context.Background(), in); err == nil {
		t.Error("want error for unknown version")
	}
}
