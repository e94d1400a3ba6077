package workspace

import (
	"os"
	"path/filepath"
	"testing"
)

func TestApplicationSetInClusterDirIsReported(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "clusters", "prod")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec: {project: default, destination: {namespace: a}, source: {repoURL: x, path: a}}\n---\napiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: fleet}\nspec: {generators: [], template: {}}\n"
	if err := os.WriteFile(filepath.Join(dir, "apps.yaml"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(t.Context(), root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	apps, findings, err := r.Applications(t.Context(), ClusterDir{Name: "prod", Dir: "clusters/prod"})
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || len(findings) != 1 || findings[0].Rule != "render/unsupported" || findings[0].Line != 6 || findings[0].File != "clusters/prod/apps.yaml" {
		t.Fatalf("apps %d, findings %+v", len(apps), findings)
	}
}
