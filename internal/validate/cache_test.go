package validate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// TestCacheSharedBetweenClusters checks the clusters of a run sharing one
// Cache: the findings are those of clusters checked apart, the rendered CRD
// is converted and compiled once, and an object equal to one already judged
// is not judged again while an object that differs only in a value's type
// is.
func TestCacheSharedBetweenClusters(t *testing.T) {
	thing := func(size any) map[string]any {
		return map[string]any{"apiVersion": "test.io/v1", "kind": "Thing", "metadata": map[string]any{"name": "t"},
			"spec": map[string]any{"size": size, "colour": "red"}}
	}
	deploy := func(replicas any) map[string]any {
		return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "namespace": "shop"},
			"spec": map[string]any{"replicas": replicas, "selector": map[string]any{},
				"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "x", "bogus": 1}}}}}}
	}
	cluster := func(i int, size, replicas any) *resource.Cluster {
		name := fmt.Sprintf("c%d", i)
		rs := []*resource.Resource{
			{Cluster: name, App: "crds", Object: mustYAML(t, crdWith("type: object\nproperties:\n  size: {type: integer}")), Origin: resource.Origin{File: "crds.yaml", Line: 1}},
			{Cluster: name, App: "web", Object: thing(size), Origin: resource.Origin{File: "thing.yaml", Line: 1}},
			{Cluster: name, App: "web", Object: deploy(replicas), Origin: resource.Origin{File: "deploy.yaml", Line: 1}},
		}
		return &resource.Cluster{Name: name, KubernetesVersion: "1.34", Apps: []*resource.App{{Name: "web", Resources: rs}}}
	}
	clusters := []*resource.Cluster{
		cluster(0, 3, int64(2)), cluster(1, 3, int64(2)), cluster(2, 3, int64(2)),
		cluster(3, "3", "2"), // the same objects but for the types of two values
	}
	for _, strict := range []bool{true, false} {
		cache := NewCache()
		for _, c := range clusters {
			apart, err := CheckCluster(context.Background(), c, ClusterOptions{Root: t.TempDir(), Strict: strict})
			if err != nil {
				t.Fatal(err)
			}
			shared, err := CheckCluster(context.Background(), c, ClusterOptions{Root: t.TempDir(), Strict: strict, Cache: cache})
			if err != nil {
				t.Fatal(err)
			}
			a, s := formatFindings(sortFindings(apart)), formatFindings(sortFindings(shared))
			if a != s {
				t.Errorf("strict=%v cluster %s: with a shared cache:\n%s\napart:\n%s", strict, c.Name, s, a)
			}
			if c.Name == "c3" && !slices.ContainsFunc(shared, func(f report.Finding) bool {
				return strings.Contains(f.Message, "spec.replicas: expected integer, got string")
			}) {
				t.Errorf("strict=%v: the string replicas was judged as the integer one: %s", strict, s)
			}
		}
		if len(cache.converted) != 1 || len(cache.crds) != 1 {
			t.Errorf("strict=%v: %d CRD conversions and %d compilations for one CRD in 4 clusters", strict, len(cache.converted), len(cache.crds))
		}
		// the CRD (one content), the Thing and the Deployment (two each)
		if len(cache.verdicts) != 5 {
			t.Errorf("strict=%v: %d verdicts, want 5", strict, len(cache.verdicts))
		}
	}
}

// TestValidatorWithoutCacheKeepsNoVerdicts: a Validator of its own (the
// validate command's stream of distinct objects) holds nothing per object.
func TestValidatorWithoutCacheKeepsNoVerdicts(t *testing.T) {
	v, err := New(Options{KubernetesVersion: "1.34", Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		ps := v.Validate(map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": fmt.Sprintf("c%d", i)}, "bogus": true})
		if len(ps) != 1 || ps[0].Field != "bogus" {
			t.Fatalf("problems %+v", ps)
		}
	}
	if n := len(v.cache.verdicts); n != 0 {
		t.Errorf("%d verdicts kept", n)
	}
}
