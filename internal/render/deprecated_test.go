package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/config"
)

// TestDeprecatedKustomizeFieldsAreFindings: kustomize only prints its
// deprecation warnings to os.Stderr; they are findings on the file that uses
// the field (not on the Application whose options Argo CD writes with
// `kustomize edit add label`, which is commonLabels too).
func TestDeprecatedKustomizeFieldsAreFindings(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		".render-check.yaml": "repoURLs: [https://git.example.com/config.git]\n",
		"clusters/prod/app.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: default
  source:
    repoURL: https://git.example.com/config.git
    path: clusters/prod/web
    kustomize:
      commonLabels: {team: shop}
  destination: {server: https://kubernetes.default.svc, namespace: web}
`,
		"clusters/prod/web/kustomization.yaml": "resources: [../../../base]\n",
		"base/kustomization.yaml":              "commonLabels: {app: web}\nresources: [cm.yaml]\n",
		"base/cm.yaml":                         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
	}
	for rel, data := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(root, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Render(context.Background(), Options{Root: root, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Rule+" "+f.File+" "+f.Message)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "render/deprecated base/kustomization.yaml kustomization 'commonLabels' is deprecated") {
		t.Fatalf("findings: %q", got)
	}
	labels := res.Clusters[0].Apps[0].Resources[0].Metadata()["labels"].(map[string]any)
	if labels["app"] != "web" || labels["team"] != "shop" {
		t.Fatalf("labels after conversion: %v", labels)
	}
}
