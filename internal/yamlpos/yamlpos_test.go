package yamlpos

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/render-check/render-check/internal/resource"
)

func TestFieldLine(t *testing.T) {
	tests := []struct {
		name   string
		origin resource.Origin
		kind   string
		obj    string
		path   []string
		want   int
	}{
		{"doc by line, deep key", resource.Origin{File: "multi.yaml", Line: 9}, "Deployment", "web",
			[]string{"spec", "template", "spec", "containers", "0", "resource"}, 19},
		{"separator line selects next doc", resource.Origin{File: "multi.yaml", Line: 8}, "Deployment", "web",
			[]string{"spec", "template", "spec", "containers", "1", "image"}, 22},
		{"list item without key", resource.Origin{File: "multi.yaml", Line: 9}, "Deployment", "web",
			[]string{"spec", "template", "spec", "containers", "1", "nope"}, 21},
		{"missing key stops at deepest existing", resource.Origin{File: "multi.yaml", Line: 9}, "Deployment", "web",
			[]string{"spec", "replicas"}, 13},
		{"doc by kind and name", resource.Origin{File: "multi.yaml"}, "ConfigMap", "first",
			[]string{"data", "a"}, 7},
		{"empty path gives doc line", resource.Origin{File: "multi.yaml"}, "Deployment", "web", nil, 9},
		{"unknown doc keeps origin line", resource.Origin{File: "multi.yaml"}, "Secret", "x", []string{"data"}, 0},
		{"missing file keeps origin line", resource.Origin{File: "nope.yaml", Line: 4}, "Secret", "x", []string{"data"}, 4},
		{"template text search", resource.Origin{File: "template.yaml", Line: 1}, "Deployment", "x",
			[]string{"spec", "template", "spec", "containers", "0", "resource", "limits"}, 12},
		{"template with several documents, by kind", resource.Origin{File: "templates.yaml"}, "Deployment", "x",
			[]string{"spec", "template", "spec", "containers", "0", "ports", "0", "containerPort"}, 20},
		{"template with several documents, first kind", resource.Origin{File: "templates.yaml"}, "Service", "x",
			[]string{"spec", "ports", "0", "port"}, 7},
		{"template text search stops", resource.Origin{File: "template.yaml", Line: 1}, "Deployment", "x",
			[]string{"spec", "replicas"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FieldLine("testdata", tt.origin, tt.kind, tt.obj, tt.path); got != tt.want {
				t.Errorf("FieldLine(%v, %v) = %d, want %d", tt.origin, tt.path, got, tt.want)
			}
		})
	}
}

func TestIndexConcurrentAndReload(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(p, []byte("kind: A\nmetadata:\n  name: a\nspec:\n  x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix := NewIndex()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := ix.FieldLine(dir, resource.Origin{File: "a.yaml", Line: 1}, "A", "a", []string{"spec", "x"}); got != 5 {
				errs <- fmt.Errorf("got %d, want 5", got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A changed file (different size) is parsed again.
	if err := os.WriteFile(p, []byte("kind: A\nmetadata:\n  name: a\n\nspec:\n  y: 1\n  x: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ix.FieldLine(dir, resource.Origin{File: "a.yaml", Line: 1}, "A", "a", []string{"spec", "x"}); got != 7 {
		t.Errorf("after edit got %d, want 7", got)
	}
}
