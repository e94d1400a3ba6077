package render

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/resource"
)

var update = flag.Bool("update", false, "rewrite golden files")

// extract writes a txtar archive's files under a temp dir and returns it.
func extract(t *testing.T, archive string) string {
	t.Helper()
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// renderRepo renders a repo and returns the textual form compared to goldens.
func renderRepo(t *testing.T, root string, opts Options) (string, *Result) {
	t.Helper()
	cfg, err := config.Load(root, "")
	if err != nil {
		t.Fatal(err)
	}
	opts.Root, opts.Config = root, cfg
	if opts.ChartCacheDir == "" {
		opts.ChartCacheDir = t.TempDir()
	}
	res, err := Render(context.Background(), opts)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return dump(t, res), res
}

func dump(t *testing.T, res *Result) string {
	t.Helper()
	var b bytes.Buffer
	for _, c := range res.Clusters {
		fmt.Fprintf(&b, "# cluster %s (kubernetes %s)\n", c.Name, c.KubernetesVersion)
		for _, a := range SortedApps(c) {
			fmt.Fprintf(&b, "## app %s [%s] resources=%d\n", a.Name, a.SourceType, len(a.Resources))
			fmt.Fprintf(&b, "## inputs %s\n", strings.Join(a.Inputs, " "))
			if err := WriteManifests(&b, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.WriteString("# findings\n")
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "%s %s %s/%s %s: %s\n", f.Severity, f.Rule, f.Cluster, f.App, f.Location(), f.Message)
	}
	return b.String()
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (go test -update to accept):\n%s", path, diffLines(string(want), got))
	}
}

// diffLines shows the first differing lines.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			lo := max(0, i-3)
			return fmt.Sprintf("line %d:\n- %s\n+ %s\ncontext (got):\n%s", i+1, wl, gl, strings.Join(g[lo:min(len(g), i+4)], "\n"))
		}
	}
	return ""
}

// TestCases renders every testdata/cases/*.txtar repo and compares with its golden.
func TestCases(t *testing.T) {
	archives, err := filepath.Glob("testdata/cases/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) == 0 {
		t.Fatal("no test cases")
	}
	for _, a := range archives {
		name := strings.TrimSuffix(filepath.Base(a), ".txtar")
		t.Run(name, func(t *testing.T) {
			root := extract(t, a)
			got, _ := renderRepo(t, root, Options{})
			golden(t, strings.TrimSuffix(a, ".txtar")+".golden", got)
		})
	}
}

// TestExampleRepo renders the bundled example: no render findings, every
// cluster and app, deterministic bytes.
func TestExampleRepo(t *testing.T) {
	root, err := filepath.Abs("../../testdata/clusters")
	if err != nil {
		t.Fatal(err)
	}
	first, res := renderRepo(t, root, Options{})
	if len(res.Findings) != 0 {
		t.Errorf("example repo has render findings:\n%s", first[strings.Index(first, "# findings"):])
	}
	want := map[string][]string{
		// addon-* and node-exporter-* come from the ApplicationSets of
		// clusters/agritech-prod/apps/appsets.yaml
		"agritech-prod": {"addon-cluster-info", "addon-node-exporter", "agritech-root", "alerting", "field-sensors-api", "telemetry-ingest"},
		"distrib-prod":  {"distrib-root", "edge-proxy", "node-exporter-distrib-prod", "route-planner", "warehouse"},
		"erp-saas-prod": {"billing", "erp-db", "erp-root", "node-exporter-erp-saas-prod", "tenant-portal"},
	}
	if len(res.Clusters) != len(want) {
		t.Fatalf("got %d clusters, want %d", len(res.Clusters), len(want))
	}
	for _, c := range res.Clusters {
		var names []string
		for _, a := range SortedApps(c) {
			names = append(names, a.Name)
			if len(a.Resources) == 0 {
				t.Errorf("%s/%s rendered nothing", c.Name, a.Name)
			}
			for _, r := range a.Resources {
				if r.Origin.File == "" {
					t.Errorf("%s/%s: %s has no origin", c.Name, a.Name, r.Ref())
				}
			}
		}
		if fmt.Sprint(names) != fmt.Sprint(want[c.Name]) {
			t.Errorf("cluster %s apps = %v, want %v", c.Name, names, want[c.Name])
		}
	}
	second, _ := renderRepo(t, root, Options{})
	if first != second {
		t.Errorf("two renders differ:\n%s", diffLines(first, second))
	}
	golden(t, "testdata/example.golden", first)
}

// TestRenderDoesNotModifyCheckout checks that kustomize edits stay in memory.
func TestRenderDoesNotModifyCheckout(t *testing.T) {
	root := extract(t, "testdata/cases/kustomize-options.txtar")
	before := snapshot(t, root)
	renderRepo(t, root, Options{})
	after := snapshot(t, root)
	if before != after {
		t.Errorf("rendering modified the checkout:\n%s", diffLines(before, after))
	}
}

func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %x\n", p, len(data), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestClusterFilter renders one cluster only, and rejects an unknown one.
func TestClusterFilter(t *testing.T) {
	root, _ := filepath.Abs("../../testdata/clusters")
	_, res := renderRepo(t, root, Options{Clusters: []string{"distrib-prod"}, KubeVersion: "1.31"})
	if len(res.Clusters) != 1 || res.Clusters[0].Name != "distrib-prod" || res.Clusters[0].KubernetesVersion != "1.31" {
		t.Fatalf("got %+v", res.Clusters)
	}
	cfg, _ := config.Load(root, "")
	_, err := Render(context.Background(), Options{Root: root, Config: cfg, Clusters: []string{"nope"}})
	var uc *UnknownClusterError
	if !errorsAs(err, &uc) || uc.Name != "nope" {
		t.Fatalf("err = %v, want UnknownClusterError", err)
	}
}

func appByName(res *Result, cluster, app string) *resource.App {
	for _, c := range res.Clusters {
		if c.Name != cluster {
			continue
		}
		for _, a := range c.Apps {
			if a.Name == app {
				return a
			}
		}
	}
	return nil
}
