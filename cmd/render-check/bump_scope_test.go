package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/benchrepo"
)

// scopeApp is an Application of this repo rendering path.
func scopeApp(name, path string) string {
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
  destination:
    server: https://kubernetes.default.svc
    namespace: ` + name + `
`
}

func scopeDeployment(name, image string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
spec:
  selector:
    matchLabels: {app: ` + name + `}
  template:
    metadata:
      labels: {app: ` + name + `}
    spec:
      containers:
        - name: ` + name + `
          image: ` + image + `
`
}

type scopeOut struct {
	Changed       bool     `json:"changed"`
	Files         []string `json:"files"`
	RenderChecked bool     `json:"renderChecked"`
	RenderedApps  int      `json:"renderedApps"`
	SkippedApps   int      `json:"skippedApps"`
	CheckedApps   int      `json:"checkedApps"`
	References    []struct {
		File     string   `json:"file"`
		Status   string   `json:"status"`
		Clusters []string `json:"clusters"`
	} `json:"references"`
}

// snapshot reads every file under root.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A file of a shared base read by the apps of two clusters is edited once,
// and both apps are rendered with the edit before it is written; the apps
// that cannot read it are not rendered at all.
func TestBumpSharedBaseEditsOnceAndChecksBothClusters(t *testing.T) {
	root := bumpRepo(t, map[string]string{
		".render-check.yaml":                     "repoURLs:\n  - https://git.example/config.git\n",
		"_base/kustomize/api/kustomization.yaml": "resources:\n  - deployment.yaml\n",
		"_base/kustomize/api/deployment.yaml":    scopeDeployment("api", "registry.example/org/api:1.0.0"),
		"_base/kustomize/db/kustomization.yaml":  "resources:\n  - deployment.yaml\n",
		"_base/kustomize/db/deployment.yaml":     scopeDeployment("db", "registry.example/org/db:1.0.0"),
		"clusters/prod/apps/api.yaml":            scopeApp("api", "_base/kustomize/api"),
		"clusters/prod/apps/db.yaml":             scopeApp("db", "_base/kustomize/db"),
		"clusters/staging/apps/api.yaml":         scopeApp("api", "_base/kustomize/api"),
		"clusters/staging/apps/db.yaml":          scopeApp("db", "_base/kustomize/db"),
	})
	base := filepath.Join(root, "_base/kustomize/api/deployment.yaml")
	before := readFile(t, base)
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/api", "--tag", "1.1.0", "--no-verify", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var out scopeOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if strings.Join(out.Files, " ") != "_base/kustomize/api/deployment.yaml" || len(out.References) != 1 ||
		strings.Join(out.References[0].Clusters, ",") != "prod,staging" {
		t.Errorf("files %v references %+v", out.Files, out.References)
	}
	if !out.RenderChecked || out.CheckedApps != 2 {
		t.Errorf("renderChecked %v checkedApps %d, want both api apps checked", out.RenderChecked, out.CheckedApps)
	}
	if out.RenderedApps != 2 || out.SkippedApps != 2 {
		t.Errorf("rendered %d skipped %d, want 2 (api) and 2 (db)", out.RenderedApps, out.SkippedApps)
	}
	if got := readFile(t, base); got != strings.Replace(before, "api:1.0.0", "api:1.1.0", 1) {
		t.Errorf("base:\n%s", got)
	}
}

// An edit that a kustomize images: entry overrides changes nothing that is
// deployed: it is refused before anything is written, every file stays
// byte for byte.
func TestBumpOverriddenEditWritesNothing(t *testing.T) {
	root := bumpRepo(t, map[string]string{
		".render-check.yaml":                     "repoURLs:\n  - https://git.example/config.git\n",
		"_base/kustomize/api/kustomization.yaml": "resources:\n  - deployment.yaml\n",
		"_base/kustomize/api/deployment.yaml":    scopeDeployment("api", "registry.example/org/api:1.0.0"),
		"clusters/prod/overlays/api/kustomization.yaml": `resources:
  - ../../../../_base/kustomize/api
images:
  - name: registry.example/org/api
    newName: registry.example/mirror/api
    newTag: "1.0.0"
`,
		"clusters/prod/apps/api.yaml": scopeApp("api", "clusters/prod/overlays/api"),
	})
	before := snapshot(t, root)
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/api", "--tag", "1.1.0", "--no-verify")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "_base/kustomize/api/deployment.yaml:14") || !strings.Contains(stderr, "nothing was written") || strings.Contains(stderr, "rolled back") {
		t.Errorf("stderr:\n%s", stderr)
	}
	after := snapshot(t, root)
	if len(after) != len(before) {
		t.Errorf("%d files before, %d after", len(before), len(after))
	}
	for p, b := range before {
		if after[p] != b {
			t.Errorf("%s changed:\n%s", p, after[p])
		}
	}
}

// A bump of one app in one cluster of a multi-cluster repo renders only
// the apps that can read a file referencing the image (and the app-of-apps
// roots, which may produce such apps), and confirms the edit by rendering
// only the one app that reads the edited file.
func TestBumpRendersOnlyTheReachedApps(t *testing.T) {
	root := filepath.Join(t.TempDir(), "repo")
	if err := benchrepo.Generate(root, "", 4, 6); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", "ghcr.io/bench/svc-000", "--tag", "9.9.9", "--no-verify", "--cluster", "cluster-01", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var out scopeOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if strings.Join(out.Files, " ") != "clusters/cluster-01/values/svc-000.yaml" {
		t.Errorf("files %v", out.Files)
	}
	// 4 clusters x (6 apps + 1 root): svc-000 and the root of each cluster
	if out.RenderedApps != 8 || out.SkippedApps != 20 || out.CheckedApps != 1 || !out.RenderChecked {
		t.Errorf("rendered %d skipped %d checked %d renderChecked %v; want 8, 20, 1, true", out.RenderedApps, out.SkippedApps, out.CheckedApps, out.RenderChecked)
	}
	for _, r := range out.References {
		want := "skipped-other-cluster"
		if r.File == "clusters/cluster-01/values/svc-000.yaml" {
			want = "changed"
		}
		if r.Status != want || len(r.Clusters) != 1 {
			t.Errorf("%s: %s %v, want %s in one cluster", r.File, r.Status, r.Clusters, want)
		}
	}
	// the text form says it too
	code, stdout, stderr = runCLI(t, "bump", "--root", root, "--image", "ghcr.io/bench/svc-000", "--tag", "9.9.10", "--no-verify", "--cluster", "cluster-02")
	if code != exitOK || !strings.Contains(stdout, "rendered 8 of 28 apps") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
