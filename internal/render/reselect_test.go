package render

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
	"github.com/render-check/render-check/internal/workspace"
)

// TestReselectNeverMissesAReader is TestReadersOfNeverMissesAReader for
// the second render of a bump: every test repo is rendered in full; then,
// for groups of the files its apps read, rendered keeping ReadersOf the
// group with the choices recorded, and, for each file of the group changed
// in an overlay, rendered again choosing the apps with Reselect, and with
// the apps ReadersIn gives when it gives them. Every app that read the file
// must be rendered again and read it. A miss would be a
// bump written without rendering an app that reads the edit.
func TestReselectNeverMissesAReader(t *testing.T) {
	ctx := context.Background()
	checked, skipped, known, asked, presets := 0, 0, 0, 0, 0
	for _, root := range readerTestRoots(t) {
		full, _ := readersByFile(t, root, Options{})
		var files []string
		for f := range full {
			if !strings.HasSuffix(f, ".tgz") { // an appended byte breaks an archive
				files = append(files, f)
			}
		}
		sort.Strings(files)
		cfg, err := config.Load(root, "")
		if err != nil {
			t.Fatal(err)
		}
		ws, err := workspace.Open(ctx, root, workspace.Settings{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(files); i += 3 {
			group := files[i:min(i+3, len(files))]
			sel, err := ReadersOf(ctx, ws, group)
			if err != nil {
				t.Fatal(err)
			}
			var d Decisions
			_, prev := renderRepo(t, root, Options{Workspace: ws, Select: d.Record(sel)})
			for _, f := range group {
				data, err := ws.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				overlay := map[string][]byte{f: append(data, '\n')}
				static, err := ReadersOf(ctx, ws.WithOverlay(ctx, overlay), []string{f})
				if err != nil {
					t.Fatal(err)
				}
				statics, calls := 0, 0
				again := d.Reselect(prev, []string{f}, func(c string, a *argo.Application) bool {
					statics++
					return static(c, a)
				})
				got, res := readersByFile(t, root, Options{Workspace: ws, Overlay: overlay, Select: func(c string, a *argo.Application) bool {
					calls++
					return again(c, a)
				}})
				checked++
				skipped += res.Skipped
				known += calls - statics
				asked += statics
				if strings.Join(got[f], " ") != strings.Join(full[f], " ") {
					t.Errorf("%s: %s is read by %v, with it changed and Reselect only by %v", root, f, full[f], got[f])
				}
				// and, when the first render's readers can be rendered
				// alone, they are exactly the apps that read it
				if apps, ok := ReadersIn(prev, []string{f}); ok {
					presets++
					got, _ := readersByFile(t, root, Options{Workspace: ws, Overlay: overlay, Apps: apps})
					if strings.Join(got[f], " ") != strings.Join(full[f], " ") {
						t.Errorf("%s: %s is read by %v, with it changed and ReadersIn only by %v", root, f, full[f], got[f])
					}
				}
			}
		}
	}
	if checked < 50 || skipped == 0 || known == 0 || presets < 20 {
		t.Fatalf("%d files, %d apps skipped, %d choices from the first render, %d renders of its readers alone: the test proves nothing", checked, skipped, known, presets)
	}
	t.Logf("%d files, %d apps skipped, %d choices from the first render, %d asked of the static choice, %d renders of the readers alone", checked, skipped, known, asked, presets)
}

// Reselect answers from the first render for an app it knows with the same
// manifest, and asks the static choice about any other.
func TestReselectDecisions(t *testing.T) {
	app := func(name, path string) *argo.Application {
		return &argo.Application{Metadata: argo.ObjectMeta{Name: name}, File: "clusters/c/apps/" + name + ".yaml",
			Spec: argo.AppSpec{Source: &argo.Source{Path: path}}}
	}
	first := map[string]*argo.Application{
		"reader":  app("reader", "_base/web"),
		"other":   app("other", "_base/other"),
		"parent":  app("parent", "clusters/c/apps"),
		"refused": app("refused", "_base/x"),
		"failed":  app("failed", "_base/web"),
		"moved":   app("moved", "_base/web"),
		"dropped": app("dropped", "clusters/c"),
	}
	var d Decisions
	rec := d.Record(func(_ string, a *argo.Application) bool { return a.Metadata.Name != "refused" })
	for _, a := range first {
		rec("c", a)
	}
	child := &resource.Resource{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": map[string]any{"name": "reader"}}}
	res := &Result{
		Clusters: []*resource.Cluster{{Name: "c", Apps: []*resource.App{
			{Name: "reader", Cluster: "c", Inputs: []string{"clusters/c/apps/reader.yaml", "values/web.yaml"}},
			{Name: "other", Cluster: "c", Inputs: []string{"clusters/c/apps/other.yaml", "values/other.yaml"}},
			{Name: "parent", Cluster: "c", Inputs: []string{"clusters/c/apps/reader.yaml"}, Resources: []*resource.Resource{child}},
			{Name: "failed", Cluster: "c"},
			{Name: "moved", Cluster: "c", Inputs: []string{"values/web.yaml"}},
		}}},
		Findings: []report.Finding{{Rule: report.RuleRenderFailed, Severity: report.SeverityError, Cluster: "c", App: "failed"}},
	}
	var asked []string
	sel := d.Reselect(res, []string{"values/web.yaml"}, func(_ string, a *argo.Application) bool {
		asked = append(asked, a.Metadata.Name)
		return true
	})
	moved := app("moved", "_base/web2") // its manifest changed
	for _, tc := range []struct {
		app  *argo.Application
		want bool
	}{
		{first["reader"], true},    // read the changed file
		{first["other"], false},    // read none of it
		{first["parent"], true},    // produces Applications
		{first["refused"], false},  // could not read it before
		{first["failed"], true},    // asked: its inputs are unknown
		{first["dropped"], true},   // asked: kept, but not in the result
		{moved, true},              // asked: another manifest
		{app("new", "x"), true},    // asked: not seen before
		{app("reader", "x"), true}, // asked: not the manifest seen
	} {
		if got := sel("c", tc.app); got != tc.want {
			t.Errorf("%s (%s): selected %v, want %v", tc.app.Metadata.Name, tc.app.Spec.Source.Path, got, tc.want)
		}
	}
	if got, want := strings.Join(asked, " "), "failed dropped moved new reader"; got != want {
		t.Errorf("asked the static choice about %q, want %q", got, want)
	}
	if got := sel("other-cluster", first["reader"]); !got {
		t.Error("an app of another cluster is not the one seen: it must be asked (kept)")
	}
}

// ReadersIn gives the readers of a changed file only when rendering them
// alone renders them as discovery would.
func TestReadersInRefuses(t *testing.T) {
	app := func(name, file string) *argo.Application {
		return &argo.Application{Metadata: argo.ObjectMeta{Name: name}, File: file, Spec: argo.AppSpec{Source: &argo.Source{Path: "_base/web"}}}
	}
	child := &resource.Resource{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": map[string]any{"name": "x"}}}
	reader := &resource.App{Name: "web", Cluster: "c", Application: app("web", "clusters/c/web.yaml"), Inputs: []string{"clusters/c/web.yaml", "values/web.yaml"}}
	other := &resource.App{Name: "api", Cluster: "c", Application: app("api", "clusters/c/api.yaml"), Inputs: []string{"clusters/c/api.yaml"}}
	result := func(apps ...*resource.App) *Result {
		return &Result{Clusters: []*resource.Cluster{{Name: "c", Apps: apps}}}
	}
	apps, ok := ReadersIn(result(reader, other), []string{"values/web.yaml"})
	if !ok || len(apps["c"]) != 1 || apps["c"][0].Metadata.Name != "web" {
		t.Fatalf("a plain reader: %v %v", apps, ok)
	}
	generated := *reader
	generated.Application = app("web", "clusters/c/set.yaml")
	generated.Application.GeneratorInputs = []string{"values/web.yaml"}
	parent := *reader
	parent.Resources = []*resource.Resource{child}
	synthetic := *reader
	synthetic.Application = nil
	failed := result(reader, other)
	failed.Findings = []report.Finding{{Rule: report.RuleRenderFailed, Severity: report.SeverityError, Cluster: "c", App: "api"}}
	for name, tc := range map[string]struct {
		res     *Result
		changed string
	}{
		"its manifest changed":          {result(reader), "clusters/c/web.yaml"},
		"generated from a changed file": {result(&generated), "values/web.yaml"},
		"a parent reads it":             {result(&parent), "values/web.yaml"},
		"a cluster directory":           {result(&synthetic), "values/web.yaml"},
		"an app failed":                 {failed, "values/web.yaml"},
	} {
		if apps, ok := ReadersIn(tc.res, []string{tc.changed}); ok {
			t.Errorf("%s: gave %v", name, apps)
		}
	}
}
