package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/resource"
)

// BenchmarkCheck runs every rule over a synthetic 20-cluster, 600-app repo
// with a 60-line CODEOWNERS file:
//
//	go test ./internal/policy -run '^$' -bench Check -benchtime 5x
func BenchmarkCheck(b *testing.B) {
	files := map[string]string{}
	var owners strings.Builder
	owners.WriteString("* @acme/platform\n/_base/ @acme/platform\n")
	var clusters []*resource.Cluster
	const nClusters, nApps = 20, 30
	for c := range nClusters {
		cl := fmt.Sprintf("c%02d-prod", c)
		fmt.Fprintf(&owners, "/clusters/%s/ @acme/team-%d @acme/sre\n/clusters/%s/values/ @acme/team-%d\n/clusters/%s/apps/*.yaml @acme/sre\n", cl, c, cl, c, cl)
		files["clusters/"+cl+"/projects.yaml"] = project("default", subscribed, denyAll)
		for a := range nApps {
			name := fmt.Sprintf("app-%02d", a)
			files["clusters/"+cl+"/apps/"+name+".yaml"] = appSpec{name: name, syncPolicy: autoSelfHeal,
				source: "  source:\n    repoURL: " + thisRepo + "\n    path: _base/charts/web\n    helm:\n      valueFiles: [/clusters/" + cl + "/values/" + name + ".yaml]\n"}.yaml()
			files["clusters/"+cl+"/values/"+name+".yaml"] = "replicas: 2\n"
		}
	}
	files[".github/CODEOWNERS"] = owners.String()
	files["_base/charts/web/Chart.yaml"] = "apiVersion: v2\nname: web\nversion: 1.0.0\n"
	for i := range 40 {
		files[fmt.Sprintf("_base/charts/web/templates/t%02d.yaml", i)] = "kind: ConfigMap\n"
	}
	root := writeRepo(b, files)
	for c := range nClusters {
		cl := fmt.Sprintf("c%02d-prod", c)
		rc := &resource.Cluster{Name: cl, Dir: "clusters/" + cl}
		for a := range nApps {
			app := loadApp(b, root, cl, fmt.Sprintf("clusters/%s/apps/app-%02d.yaml", cl, a))
			for r := range 5 {
				res := obj(b, "_base/charts/web/templates/t00.yaml", 0, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s-%d, namespace: shop}\n", app.Name, r))
				res.Cluster, res.App = cl, app.Name
				app.Resources = append(app.Resources, res)
			}
			rc.Apps = append(rc.Apps, app)
		}
		clusters = append(clusters, rc)
	}
	cfg := testConfig(b, "")
	b.ResetTimer()
	for range b.N {
		fs, err := Check(b.Context(), Input{Root: root, Config: cfg, Clusters: clusters})
		if err != nil {
			b.Fatal(err)
		}
		if len(fs) != 0 {
			b.Fatalf("findings on the synthetic repo: %d, first %+v", len(fs), fs[0])
		}
	}
}
