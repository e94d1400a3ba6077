package render

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/render-check/render-check/internal/images"
)

const overlayRepo = `
-- .render-check.yaml --
repoURLs: [https://git.example/config.git]
render:
  kustomizeBuildOptions: --enable-helm
-- _base/charts/web/Chart.yaml --
apiVersion: v2
name: web
version: 0.1.0
-- _base/charts/web/values.yaml --
image: {repository: registry.example/web, tag: "1.0.0"}
side: {repository: registry.example/side, tag: "1.0.0"}
-- _base/charts/web/templates/deploy.yaml --
apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"}
        - {name: side, image: "{{ .Values.side.repository }}:{{ .Values.side.tag }}"}
-- clusters/prod/values/web.yaml --
image: {tag: "1.0.0"}
-- clusters/prod/apps/web.yaml --
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  source:
    repoURL: https://git.example/config.git
    path: _base/charts/web
    helm:
      valueFiles: [/clusters/prod/values/web.yaml]
      parameters: [{name: side.tag, value: "1.0.0"}]
  destination: {server: https://kubernetes.default.svc, namespace: web}
-- clusters/prod/apps/api.yaml --
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: api, namespace: argocd}
spec:
  source: {repoURL: https://git.example/config.git, path: clusters/prod/api}
  destination: {server: https://kubernetes.default.svc, namespace: api}
-- clusters/prod/api/kustomization.yaml --
resources: [deploy.yaml]
images: [{name: registry.example/api, newTag: "1.0.0"}]
-- clusters/prod/api/deploy.yaml --
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: registry.example/api:0.1.0}]
-- clusters/prod/apps/job.yaml --
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: job, namespace: argocd}
spec:
  source: {repoURL: https://git.example/config.git, path: clusters/prod/job}
  destination: {server: https://kubernetes.default.svc, namespace: job}
-- clusters/prod/job/job.yaml --
apiVersion: batch/v1
kind: Job
metadata: {name: job}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: job, image: registry.example/job:1.0.0}]
-- clusters/prod/apps/chart.yaml --
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: chart, namespace: argocd}
spec:
  source: {repoURL: https://git.example/config.git, path: clusters/prod/chart}
  destination: {server: https://kubernetes.default.svc, namespace: chart}
-- clusters/prod/chart/kustomization.yaml --
helmCharts:
  - {name: web, releaseName: inflated, valuesFile: values.yaml}
helmGlobals: {chartHome: ../../../_base/charts}
-- clusters/prod/chart/values.yaml --
image: {repository: registry.example/inflated, tag: "1.0.0"}
`

// imagesOf returns the sorted images each app deploys.
func imagesOf(res *Result) map[string]string {
	out := map[string]string{}
	for _, c := range res.Clusters {
		for _, a := range c.Apps {
			var imgs []string
			for _, rs := range a.Resources {
				for _, u := range images.Extract(rs.Object) {
					imgs = append(imgs, u.Image)
				}
			}
			sort.Strings(imgs)
			out[a.Name] = strings.Join(imgs, " ")
		}
	}
	return out
}

// Every reader of the render sees the overlay (chart values.yaml through
// Helm's loader, a valueFile, Application parameters through the
// workspace, a kustomization's images, a directory manifest, a helmCharts
// values file), and nothing on disk changes.
func TestOverlayIsSeenByEveryReader(t *testing.T) {
	ar := txtar.Parse([]byte(overlayRepo))
	root := t.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(root, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(rel, from, to string) (string, []byte) {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), from) {
			t.Fatalf("%s has no %q", rel, from)
		}
		return rel, []byte(strings.Replace(string(b), from, to, 1))
	}
	overlay := map[string][]byte{}
	for _, e := range [][3]string{
		{"_base/charts/web/values.yaml", `repository: registry.example/side, tag: "1.0.0"`, `repository: registry.example/side2, tag: "1.0.0"`},
		{"clusters/prod/values/web.yaml", `"1.0.0"`, `"2.0.0"`},
		{"clusters/prod/apps/web.yaml", `value: "1.0.0"`, `value: "2.0.0"`},
		{"clusters/prod/api/kustomization.yaml", `newTag: "1.0.0"`, `newTag: "2.0.0"`},
		{"clusters/prod/job/job.yaml", `job:1.0.0`, `job:2.0.0`},
		{"clusters/prod/chart/values.yaml", `tag: "1.0.0"`, `tag: "2.0.0"`},
	} {
		rel, b := edit(e[0], e[1], e[2])
		overlay[rel] = b
	}
	_, before := renderRepo(t, root, Options{})
	_, after := renderRepo(t, root, Options{Overlay: overlay})
	want := map[string][2]string{
		"web":   {"registry.example/side:1.0.0 registry.example/web:1.0.0", "registry.example/side2:2.0.0 registry.example/web:2.0.0"},
		"api":   {"registry.example/api:1.0.0", "registry.example/api:2.0.0"},
		"job":   {"registry.example/job:1.0.0", "registry.example/job:2.0.0"},
		"chart": {"registry.example/inflated:1.0.0 registry.example/side:1.0.0", "registry.example/inflated:2.0.0 registry.example/side2:1.0.0"},
	}
	b, a := imagesOf(before), imagesOf(after)
	for app, w := range want {
		if b[app] != w[0] || a[app] != w[1] {
			t.Errorf("%s: before %q after %q, want %q and %q", app, b[app], a[app], w[0], w[1])
		}
	}
	for _, f := range after.Findings {
		if f.Severity == "error" {
			t.Errorf("finding: %+v", f)
		}
	}
	for rel, content := range overlay {
		disk, _ := os.ReadFile(filepath.Join(root, rel))
		if string(disk) == string(content) {
			t.Errorf("%s was written", rel)
		}
	}
}
