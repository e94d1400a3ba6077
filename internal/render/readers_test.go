package render

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/benchrepo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/workspace"
)

// readersByFile renders with opts and maps each input file to the apps
// ("cluster/app") that read it.
func readersByFile(t *testing.T, root string, opts Options) (map[string][]string, *Result) {
	t.Helper()
	_, res := renderRepo(t, root, opts)
	out := map[string][]string{}
	for _, c := range res.Clusters {
		for _, a := range c.Apps {
			for _, in := range a.Inputs {
				out[in] = append(out[in], c.Name+"/"+a.Name)
			}
		}
	}
	return out, res
}

// TestReadersOfNeverMissesAReader renders every test repo in full, then,
// for each file an app reads, renders again keeping only ReadersOf that
// file: every app that read it must still be rendered and read it. A miss
// would be a bump that edits a file without knowing all the clusters it
// reaches.
func TestReadersOfNeverMissesAReader(t *testing.T) {
	skipped, checked := 0, 0
	for _, root := range readerTestRoots(t) {
		full, _ := readersByFile(t, root, Options{})
		files := make([]string, 0, len(full))
		for f := range full {
			files = append(files, f)
		}
		sort.Strings(files)
		cfg, err := config.Load(root, "")
		if err != nil {
			t.Fatal(err)
		}
		ws, err := workspace.Open(context.Background(), root, workspace.Settings{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			sel, err := ReadersOf(context.Background(), ws, []string{f})
			if err != nil {
				t.Fatal(err)
			}
			got, res := readersByFile(t, root, Options{Select: sel})
			skipped += res.Skipped
			checked++
			if strings.Join(got[f], " ") != strings.Join(full[f], " ") {
				t.Errorf("%s: %s is read by %v, with ReadersOf only by %v", root, f, full[f], got[f])
			}
		}
	}
	if skipped == 0 || checked < 50 {
		t.Fatalf("the selection skipped %d apps over %d files: the test proves nothing", skipped, checked)
	}
	t.Logf("%d files, %d apps skipped", checked, skipped)
}

// readerTestRoots returns every test repo: the txtar render cases, the
// testdata layouts, testdata/clusters, testdata/jsonnet and a generated
// bench repo.
func readerTestRoots(t *testing.T) []string {
	t.Helper()
	var roots []string
	cases, _ := filepath.Glob("testdata/cases/*.txtar")
	for _, c := range cases {
		roots = append(roots, extract(t, c))
	}
	layouts, _ := filepath.Glob("../../testdata/layouts/*")
	for _, l := range layouts {
		if st, err := os.Stat(l); err == nil && st.IsDir() {
			roots = append(roots, l)
		}
	}
	roots = append(roots, "../../testdata/clusters", "../../testdata/jsonnet")
	bench := filepath.Join(t.TempDir(), "bench")
	if err := benchrepo.Generate(bench, "", 3, 6); err != nil {
		t.Fatal(err)
	}
	return append(roots, bench)
}

// ReadersOf keeps what it cannot judge statically and leaves out what
// cannot read the file.
func TestReadersOfCases(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"values/web.yaml":                          "image: {tag: 1.0.0}\n",
		"_base/web/Chart.yaml":                     "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"_base/umbrella/Chart.yaml":                "apiVersion: v2\nname: u\nversion: 0.1.0\ndependencies:\n- {name: argocd-apps, version: 1.0.0, repository: https://argoproj.github.io/argo-helm}\n",
		"_base/common/Chart.yaml":                  "apiVersion: v2\nname: common\nversion: 0.1.0\n",
		"_base/common/values.yaml":                 "x: 1\n",
		"_base/withdep/Chart.yaml":                 "apiVersion: v2\nname: withdep\nversion: 0.1.0\ndependencies:\n- {name: common, version: 0.1.0, repository: file://../common}\n",
		"_base/remote-base/kustomization.yaml":     "resources:\n- https://github.com/org/repo//deploy?ref=v1\n",
		"_base/k/kustomization.yaml":               "resources:\n- ../../shared/deploy.yaml\n",
		"shared/deploy.yaml":                       "kind: Deployment\n",
		"_base/j/main.jsonnet":                     "{}\n",
		"clusters/c/overlays/x/kustomization.yaml": "resources:\n- ../../../../_base/k\n",
		"clusters/c/values/glob-a.yaml":            "a: 1\n",
	}
	for rel, c := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := workspace.Open(context.Background(), root, workspace.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	app := func(src argo.Source) *argo.Application {
		return &argo.Application{Metadata: argo.ObjectMeta{Name: "a"}, File: "clusters/c/apps/a.yaml", Spec: argo.AppSpec{Source: &src}}
	}
	for _, tc := range []struct {
		name string
		file string
		app  *argo.Application
		want bool
	}{
		{"value file named by the spec", "values/web.yaml", app(argo.Source{Path: "_base/web", Helm: &argo.HelmSource{ValueFiles: []string{"/values/web.yaml"}}}), true},
		{"chart alone", "values/web.yaml", app(argo.Source{Path: "_base/web"}), false},
		{"glob value file", "clusters/c/values/glob-a.yaml", app(argo.Source{Path: "_base/web", Helm: &argo.HelmSource{ValueFiles: []string{"/clusters/c/values/glob-*.yaml"}}}), true},
		{"env value file", "clusters/c/values/glob-a.yaml", app(argo.Source{Path: "_base/web", Helm: &argo.HelmSource{ValueFiles: []string{"/clusters/c/values/$ARGOCD_APP_NAME.yaml"}}}), true},
		{"file:// dependency", "_base/common/values.yaml", app(argo.Source{Path: "_base/withdep"}), true},
		{"kustomize base, transitively", "shared/deploy.yaml", app(argo.Source{Path: "clusters/c/overlays/x"}), true},
		{"unrelated kustomization", "values/web.yaml", app(argo.Source{Path: "clusters/c/overlays/x"}), false},
		{"remote dependency (may produce Applications)", "values/web.yaml", app(argo.Source{Path: "_base/umbrella"}), true},
		{"remote kustomize base", "values/web.yaml", app(argo.Source{Path: "_base/remote-base"}), true},
		{"remote chart source", "values/web.yaml", app(argo.Source{RepoURL: "https://charts.example", Chart: "argocd-apps", TargetRevision: "1.0.0"}), true},
		{"jsonnet", "values/web.yaml", app(argo.Source{Path: "_base/j"}), true},
		{"its own manifest", "clusters/c/apps/a.yaml", app(argo.Source{Path: "_base/web"}), true},
		{"$ref value file", "values/web.yaml", &argo.Application{Metadata: argo.ObjectMeta{Name: "a"}, Spec: argo.AppSpec{Sources: []argo.Source{
			{Path: "_base/web", Helm: &argo.HelmSource{ValueFiles: []string{"$values/values/web.yaml"}}}, {Ref: "values"}}}}, true},
	} {
		sel, err := ReadersOf(context.Background(), ws, []string{tc.file})
		if err != nil {
			t.Fatal(err)
		}
		if got := sel("c", tc.app); got != tc.want {
			t.Errorf("%s: selected %v, want %v", tc.name, got, tc.want)
		}
	}
}
