package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// renderRepo is a small config repo that internal/render can render: a
// local Helm chart used by two clusters (prod overrides the tag with a Helm
// parameter) and a shared Kustomize base that prod renames with
// kustomize.images.
func renderRepo(t *testing.T) string {
	t.Helper()
	app := func(name, path, extra string) string {
		return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ` + name + `
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example/config.git
    targetRevision: main
    path: ` + path + `
` + extra + `  destination:
    server: https://kubernetes.default.svc
    namespace: ` + name + `
`
	}
	return bumpRepo(t, map[string]string{
		".render-check.yaml":           "repoURLs:\n  - https://git.example/config.git\n",
		"_base/charts/web/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: \"1.0.0\"\n",
		"_base/charts/web/values.yaml": "image:\n  repository: registry.example/org/web\n  tag: \"\"\n",
		"_base/charts/web/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
`,
		"_base/kustomize/api/kustomization.yaml": "resources:\n  - deployment.yaml\n",
		"_base/kustomize/api/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example/org/api:1.0.0
`,
		"clusters/prod/apps/web.yaml": app("web", "_base/charts/web", `    helm:
      valueFiles:
        - /clusters/prod/values/web.yaml
      parameters:
        - name: image.tag
          value: "1.0.1"   # hotfix pinned by hand
`),
		"clusters/prod/values/web.yaml": "image:\n  repository: registry.example/org/web\n  tag: 1.0.0\n# not used by the chart\nsidecar:\n  image:\n    repository: registry.example/org/side\n    tag: 1.0.0\n",
		"clusters/prod/apps/api.yaml": app("api", "_base/kustomize/api", `    kustomize:
      images:
        - registry.example/org/api=registry.example/org/api-renamed:2.0.0
`),
		"clusters/staging/apps/web.yaml": app("web", "_base/charts/web", `    helm:
      valueFiles:
        - /clusters/staging/values/web.yaml
`),
		"clusters/staging/values/web.yaml": "image:\n  repository: registry.example/org/web\n  tag: 1.0.0\n",
		"clusters/staging/apps/api.yaml":   app("api", "_base/kustomize/api", ""),
	})
}

type bumpOut struct {
	Changed       bool     `json:"changed"`
	Files         []string `json:"files"`
	RenderChecked bool     `json:"renderChecked"`
	References    []struct {
		File     string   `json:"file"`
		Status   string   `json:"status"`
		Clusters []string `json:"clusters"`
	} `json:"references"`
}

func TestBumpRenderChecksTheWinningValue(t *testing.T) {
	root := renderRepo(t)
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/web", "--tag", "1.1.0", "--no-verify", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var out bumpOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if !out.RenderChecked || !out.Changed {
		t.Errorf("renderChecked %v changed %v", out.RenderChecked, out.Changed)
	}
	wantFiles := "clusters/prod/apps/web.yaml clusters/prod/values/web.yaml clusters/staging/values/web.yaml"
	if got := strings.Join(out.Files, " "); got != wantFiles {
		t.Errorf("files %q, want %q", got, wantFiles)
	}
	// The Helm parameter (which wins) was found through the values'
	// repository and edited with its comment and quotes intact.
	if got := readFile(t, filepath.Join(root, "clusters/prod/apps/web.yaml")); !strings.Contains(got, `value: "1.1.0"   # hotfix pinned by hand`) {
		t.Errorf("prod app:\n%s", got)
	}
	// The chart's own default (tag: "") deploys nowhere: apps read it, but
	// it is not a tag to bump (it is empty) and was left alone.
	if got := readFile(t, filepath.Join(root, "_base/charts/web/values.yaml")); !strings.Contains(got, `tag: ""`) {
		t.Errorf("chart values changed:\n%s", got)
	}
}

func TestBumpWritesNothingWhenTheEditDeploysNothing(t *testing.T) {
	root := renderRepo(t)
	file := filepath.Join(root, "clusters/prod/values/web.yaml")
	before := readFile(t, file)
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/side", "--tag", "1.1.0", "--no-verify")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "nothing was written: bump the value that wins") || !strings.Contains(stderr, "clusters/prod/values/web.yaml:8") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if got := readFile(t, file); got != before {
		t.Fatalf("written:\n%s", got)
	}
}

func TestBumpClusterScopeAndSharedBases(t *testing.T) {
	root := renderRepo(t)
	base := filepath.Join(root, "_base/kustomize/api/deployment.yaml")
	before := readFile(t, base)

	// The base reaches prod and staging: refused for prod alone.
	code, _, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/api", "--tag", "1.1.0", "--no-verify", "--cluster", "staging")
	if code != exitFindings || !strings.Contains(stderr, "--allow-shared") {
		t.Fatalf("shared base: exit %d, stderr:\n%s", code, stderr)
	}
	if readFile(t, base) != before {
		t.Fatal("shared base changed without --allow-shared")
	}

	// With --allow-shared it changes, and staging deploys the new tag.
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/api", "--tag", "1.1.0", "--no-verify", "--cluster", "staging", "--allow-shared", "--format", "json")
	if code != exitOK {
		t.Fatalf("--allow-shared: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var out bumpOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.References) != 1 || strings.Join(out.References[0].Clusters, ",") != "prod,staging" || !out.RenderChecked {
		t.Errorf("references %+v renderChecked %v", out.References, out.RenderChecked)
	}
	if got := readFile(t, base); got != strings.Replace(before, "api:1.0.0", "api:1.1.0", 1) {
		t.Errorf("base:\n%s", got)
	}

	// --cluster staging for web: the prod files are out of scope.
	code, stdout, stderr = runCLI(t, "bump", "--root", root, "--image", "registry.example/org/web", "--tag", "1.2.0", "--no-verify", "--cluster", "staging", "--format", "json")
	if code != exitOK {
		t.Fatalf("web staging: exit %d\n%s\n%s", code, stdout, stderr)
	}
	out = bumpOut{}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if strings.Join(out.Files, " ") != "clusters/staging/values/web.yaml" {
		t.Errorf("files %v", out.Files)
	}
	for _, r := range out.References {
		if strings.HasPrefix(r.File, "clusters/prod/") && r.Status != "skipped-other-cluster" {
			t.Errorf("%s: status %s", r.File, r.Status)
		}
	}
}
