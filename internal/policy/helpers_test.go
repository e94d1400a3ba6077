package policy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

const thisRepo = "https://git.example.com/acme/gitops-config.git"

// writeRepo creates a repo with the given files (path -> content).
func writeRepo(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// loadApp decodes the Application manifest at file (a single document) and
// wraps it as a rendered app with the given resources.
func loadApp(t testing.TB, root, cluster, file string, resources ...*resource.Resource) *resource.App {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	app, err := argo.DecodeApplication(obj)
	if err != nil {
		t.Fatal(err)
	}
	app.File, app.Line = file, 1
	for _, r := range resources {
		r.Cluster, r.App = cluster, app.Metadata.Name
	}
	return &resource.App{Name: app.Metadata.Name, Cluster: cluster, SourceType: "directory", Application: app, Resources: resources}
}

// obj builds a rendered resource from YAML.
func obj(t testing.TB, file string, line int, text string) *resource.Resource {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	return &resource.Resource{Object: m, Origin: resource.Origin{File: file, Line: line}}
}

func testConfig(t testing.TB, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte("repoURLs: ["+thisRepo+"]\n"+text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func check(t *testing.T, root string, cfg *config.Config, clusters ...*resource.Cluster) []report.Finding {
	t.Helper()
	fs, err := Check(context.Background(), Input{Root: root, Config: cfg, Clusters: clusters})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// only returns the findings of one rule.
func only(fs []report.Finding, rule string) []report.Finding {
	var out []report.Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// want is an expected finding: location, severity and a message fragment.
type want struct {
	file     string
	line     int
	severity report.Severity
	contains string
}

func assertFindings(t *testing.T, got []report.Finding, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("got %d findings, want %d:\n%s", len(got), len(wants), dump(got))
	}
	for i, w := range wants {
		g := got[i]
		if g.File != w.file || g.Line != w.line || g.Severity != w.severity || !strings.Contains(g.Message, w.contains) {
			t.Errorf("finding %d = %s:%d %s %q\nwant %s:%d %s containing %q", i, g.File, g.Line, g.Severity, g.Message, w.file, w.line, w.severity, w.contains)
		}
	}
}

func dump(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.Rule + " " + string(f.Severity) + " " + f.Location() + " [" + f.Cluster + "/" + f.App + "] " + f.Message + "\n")
	}
	return b.String()
}

// gitInit makes root a git work tree (git must be installed: apt-get install git).
func gitInit(t *testing.T, root string) {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("git is required for this test: install it (apt-get install git)")
	}
	out, err := exec.Command(git, "-C", root, "init", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
}
