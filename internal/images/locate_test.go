package images

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/registry"
	"github.com/render-check/render-check/internal/resource"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func mustRef(t *testing.T, s string) registry.Ref {
	t.Helper()
	r, err := registry.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLocate(t *testing.T) {
	root := writeFiles(t, map[string]string{
		"values/base.yaml": `image:
  repository: registry.example/distrib/warehouse
  tag: "0.8.0"
`,
		"values/prod.yaml": `replicas: 2
image:
  repository: registry.example/distrib/warehouse
  tag: "0.9.0"
sidecar:
  image:
    repository: registry.example/distrib/sidecar
    tag: "0.9.0"
worker:
  image: registry.example/distrib/worker:1.2
onlytag:
  tag: "7.7"
`,
		"overlays/prod/kustomization.yaml": `resources:
- ../../base
images:
- name: app
  newName: registry.example/team/app
  newTag: "1.4"
`,
		"base/kustomization.yaml":  "resources: [deploy.yaml]\n",
		"charts/chart/values.yaml": "image:\n  repository: registry.example/o/chart\n  tag: \"1.0\"\n",
		"base/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
      - name: app
        image: app
`,
		"apps/web.yaml": `---
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: registry.example/web/web:5.0
`,
		"clusters/prod/apps/api.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api
spec:
  source:
    repoURL: https://git.example/config.git
    path: overlays/prod
    kustomize:
      images:
      - registry.example/team/api=registry.example/team/api:2.0
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: chart
spec:
  source:
    repoURL: https://git.example/config.git
    path: charts/chart
    helm:
      parameters:
      - name: image.tag
        value: "3.1"
      values: |
        other:
          image:
            repository: registry.example/o/other
            tag: "4.4"
`,
	})
	l := NewLocator(root)
	kustApp := &resource.App{Name: "api", Inputs: []string{"base/deploy.yaml", "base/kustomization.yaml", "overlays/prod/kustomization.yaml"},
		Application: &argo.Application{File: "clusters/prod/apps/api.yaml", Line: 1, Spec: argo.AppSpec{Source: &argo.Source{Path: "overlays/prod"}}}}
	chartApp := &resource.App{Name: "chart", Application: &argo.Application{File: "clusters/prod/apps/api.yaml", Line: 13}}
	deploy := func(origin resource.Origin, values ...string) *resource.Resource {
		return &resource.Resource{Object: map[string]any{"kind": "Deployment", "metadata": map[string]any{"name": "web"}}, Origin: origin, ValuesFiles: values}
	}
	path := []string{"spec", "template", "spec", "containers", "0", "image"}
	cases := []struct {
		name  string
		app   *resource.App
		res   *resource.Resource
		image string
		want  Location
	}{
		{"values repository+tag, later file wins", chartApp, deploy(resource.Origin{File: "charts/chart/templates/d.yaml"}, "values/base.yaml", "values/prod.yaml"),
			"registry.example/distrib/warehouse:0.9.0", Location{"values/prod.yaml", 4}},
		{"values earlier file when it sets this tag", chartApp, deploy(resource.Origin{File: "charts/chart/templates/d.yaml"}, "values/base.yaml", "values/prod.yaml"),
			"registry.example/distrib/warehouse:0.8.0", Location{"values/base.yaml", 3}},
		{"nested sidecar tag", chartApp, deploy(resource.Origin{}, "values/prod.yaml"),
			"registry.example/distrib/sidecar:0.9.0", Location{"values/prod.yaml", 8}},
		{"full reference string", chartApp, deploy(resource.Origin{}, "values/prod.yaml"),
			"registry.example/distrib/worker:1.2", Location{"values/prod.yaml", 10}},
		// A values override setting the tag alone (the chart's values name
		// the repository).
		{"tag only", chartApp, deploy(resource.Origin{}, "values/prod.yaml"),
			"registry.example/any/thing:7.7", Location{"values/prod.yaml", 12}},
		{"repository only, the tag set elsewhere", chartApp, deploy(resource.Origin{}, "values/prod.yaml"),
			"registry.example/distrib/warehouse:9.9", Location{"values/prod.yaml", 4}},
		{"helm parameter in the Application", chartApp, deploy(resource.Origin{}, "values/prod.yaml"),
			"registry.example/o/chart:3.1", Location{"clusters/prod/apps/api.yaml", 24}},
		{"helm inline values in the Application", chartApp, deploy(resource.Origin{}, "values/prod.yaml"),
			"registry.example/o/other:4.4", Location{"clusters/prod/apps/api.yaml", 29}},
		{"kustomization images entry", kustApp, deploy(resource.Origin{File: "base/deploy.yaml", Line: 1}),
			"registry.example/team/app:1.4", Location{"overlays/prod/kustomization.yaml", 6}},
		{"Application kustomize images", kustApp, deploy(resource.Origin{File: "base/deploy.yaml", Line: 1}),
			"registry.example/team/api:2.0", Location{"clusters/prod/apps/api.yaml", 11}},
		{"manifest image line", &resource.App{Name: "web"}, deploy(resource.Origin{File: "apps/web.yaml", Line: 6}),
			"registry.example/web/web:5.0", Location{"apps/web.yaml", 15}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := l.Locate(tc.app, tc.res, Use{Image: tc.image, Path: path}, mustRef(t, tc.image))
			if got != tc.want {
				t.Fatalf("Locate(%s) = %+v, want %+v", tc.image, got, tc.want)
			}
		})
	}
}
