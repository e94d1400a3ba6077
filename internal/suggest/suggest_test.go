package suggest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNearest(t *testing.T) {
	cands := []string{"telemetry-ingest.yaml", "billing.yaml", "tenant-portal.yaml", "worker", "api-service"}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"telemetry-ingst.yaml", "telemetry-ingest.yaml", true},
		{"tenant-portal.yml", "tenant-portal.yaml", true},
		{"workr", "worker", true},
		{"wokrer", "worker", true},
		{"billing.yaml", "", false}, // exact: nothing to suggest
		{"x", "", false},
		{"postgres", "", false},
	} {
		got, ok := Nearest(tc.name, cands)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Nearest(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPathAndEntry(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "_base", "kustomize", "worker"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, ok := Path(os.DirFS(root), "_base/kustomize/workr")
	if !ok || got != "_base/kustomize/worker" {
		t.Fatalf("Path = %q, %v", got, ok)
	}
	if e := Entry("../../_base/kustomize/workr", got); e != "../../_base/kustomize/worker" {
		t.Fatalf("Entry = %q", e)
	}
	if _, ok := Path(os.DirFS(root), "../etc/passwd"); ok {
		t.Fatal("a path outside the root got a suggestion")
	}
}
