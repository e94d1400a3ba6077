package helm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/render-check/render-check/internal/argo"
)

func testRoot(t testing.TB) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata", "repo"))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func appRequest(t testing.TB, h *argo.HelmSource) Request {
	root := testRoot(t)
	return Request{
		Root:        root,
		ChartPath:   filepath.Join(root, "charts", "app"),
		Helm:        h,
		AppName:     "myapp",
		Namespace:   "dest",
		KubeVersion: "1.34.0",
		APIVersions: []string{"v1", "v1/Pod", "batch/v1", "batch/v1/CronJob", "batch/v1/Job"},
		Env:         map[string]string{"ARGOCD_APP_NAME": "myapp", "ARGOCD_APP_NAMESPACE": "dest", "SUFFIX": "a", "FILE": "file.txt"},
	}
}

// find returns the manifest of that kind and name.
func find(t testing.TB, out *Output, kind, name string) (Manifest, bool) {
	t.Helper()
	for _, m := range out.Manifests {
		md, _ := m.Object["metadata"].(map[string]any)
		if m.Object["kind"] == kind && md["name"] == name {
			return m, true
		}
	}
	return Manifest{}, false
}

func mustFind(t testing.TB, out *Output, kind, name string) Manifest {
	t.Helper()
	m, ok := find(t, out, kind, name)
	if !ok {
		var have []string
		for _, m := range out.Manifests {
			md, _ := m.Object["metadata"].(map[string]any)
			have = append(have, m.Object["kind"].(string)+"/"+md["name"].(string))
		}
		t.Fatalf("no %s/%s in output; have %v", kind, name, have)
	}
	return m
}

func data(t testing.TB, m Manifest) map[string]any {
	t.Helper()
	d, _ := m.Object["data"].(map[string]any)
	return d
}

// renderedValues decodes the values the app chart saw.
func renderedValues(t testing.TB, out *Output, release string) map[string]any {
	t.Helper()
	m := mustFind(t, out, "ConfigMap", release+"-values")
	var v map[string]any
	if err := json.Unmarshal([]byte(data(t, m)["values.json"].(string)), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValuesPrecedence(t *testing.T) {
	valuesSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/remote-values.yaml" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("level: http\nfromHTTP: true\n"))
	}))
	defer valuesSrv.Close()
	refRoot, _ := filepath.Abs(filepath.Join("testdata", "refrepo"))

	type want struct {
		values     map[string]any // expected key -> value (nil value: key absent)
		valueFiles []string
	}
	tests := []struct {
		name string
		helm *argo.HelmSource
		refs map[string]string
		want want
	}{
		{"chart defaults", nil, nil, want{values: map[string]any{"level": "chart", "fromChart": true}}},
		{"valueFiles in order, maps merged", &argo.HelmSource{ValueFiles: []string{"values-a.yaml", "values-b.yaml"}}, nil,
			want{map[string]any{"level": "b", "fromA": true, "fromB": true, "image": map[string]any{"repository": "registry.example/app", "tag": "2.0.0"}},
				[]string{"charts/app/values-a.yaml", "charts/app/values-b.yaml"}}},
		{"values over valueFiles", &argo.HelmSource{ValueFiles: []string{"values-a.yaml"}, Values: "level: inline\n"}, nil,
			want{values: map[string]any{"level": "inline", "fromA": true}}},
		{"valuesObject replaces values", &argo.HelmSource{Values: "level: str\nfromValues: true\n", ValuesObject: map[string]any{"level": "obj"}}, nil,
			want{values: map[string]any{"level": "obj", "fromValues": nil}}},
		{"values are not env-substituted", &argo.HelmSource{Values: "level: $ARGOCD_APP_NAME\n"}, nil,
			want{values: map[string]any{"level": "$ARGOCD_APP_NAME"}}},
		{"parameters over values, with type coercion", &argo.HelmSource{Values: "level: inline\n", Parameters: []argo.HelmParameter{
			{Name: "level", Value: "param"}, {Name: "num", Value: "42"}, {Name: "flag", Value: "true"}, {Name: "fromChart", Value: "null"}}}, nil,
			want{values: map[string]any{"level": "param", "num": float64(42), "flag": true, "fromChart": nil}}},
		{"forceString over parameters", &argo.HelmSource{Parameters: []argo.HelmParameter{
			{Name: "level", Value: "p"}, {Name: "level", Value: "true", ForceString: true}, {Name: "str", Value: "42", ForceString: true}}}, nil,
			want{values: map[string]any{"level": "true", "str": "42"}}},
		{"repeated names keep the last", &argo.HelmSource{Parameters: []argo.HelmParameter{{Name: "level", Value: "first"}, {Name: "level", Value: "second"}}}, nil,
			want{values: map[string]any{"level": "second"}}},
		{"commas escaped unless a {list}", &argo.HelmSource{Parameters: []argo.HelmParameter{
			{Name: "csv", Value: "a,b"}, {Name: "esc", Value: `c\,d`}, {Name: "lst", Value: "{x,y}"}}}, nil,
			want{values: map[string]any{"csv": "a,b", "esc": "c,d", "lst": []any{"x", "y"}}}},
		{"env substituted in --set values and value-file paths, not names", &argo.HelmSource{ValueFiles: []string{"values-$SUFFIX.yaml"},
			Parameters: []argo.HelmParameter{{Name: "app", Value: "${ARGOCD_APP_NAME}-$ARGOCD_APP_NAMESPACE"}, {Name: "cost", Value: "$$5"}, {Name: "$SUFFIX", Value: "x"}}}, nil,
			want{map[string]any{"fromA": true, "app": "myapp-dest", "cost": "$5", "$SUFFIX": "x"}, []string{"charts/app/values-a.yaml"}}},
		{"env substituted in file-parameter paths", &argo.HelmSource{FileParameters: []argo.HelmFileParam{{Name: "f", Path: "${FILE}"}}}, nil,
			want{values: map[string]any{"f": "hello, from a file\n"}}},
		{"fileParameters over forceString", &argo.HelmSource{Parameters: []argo.HelmParameter{{Name: "file", Value: "p", ForceString: true}},
			FileParameters: []argo.HelmFileParam{{Name: "file", Path: "file.txt"}}}, nil,
			want{values: map[string]any{"file": "hello, from a file\n"}}},
		{"ignoreMissingValueFiles drops missing files", &argo.HelmSource{ValueFiles: []string{"missing.yaml", "values-a.yaml", "env/none-*.yaml"}, IgnoreMissingValueFiles: true}, nil,
			want{map[string]any{"fromA": true}, []string{"charts/app/values-a.yaml"}}},
		{"globs expand in lexical order", &argo.HelmSource{ValueFiles: []string{"env/*.yaml"}}, nil,
			want{map[string]any{"level": "env2", "env1": true, "env2": true}, []string{"charts/app/env/1-base.yaml", "charts/app/env/2-prod.yaml"}}},
		{"an explicit entry keeps its own position", &argo.HelmSource{ValueFiles: []string{"env/*.yaml", "env/1-base.yaml", "env/*.yaml"}}, nil,
			want{map[string]any{"level": "env1"}, []string{"charts/app/env/2-prod.yaml", "charts/app/env/1-base.yaml"}}},
		{"leading slash is the repo root", &argo.HelmSource{ValueFiles: []string{"/values/prod.yaml"}}, nil,
			want{map[string]any{"level": "prod", "fromRoot": true}, []string{"values/prod.yaml"}}},
		{"$ref is the referenced source's root", &argo.HelmSource{ValueFiles: []string{"values-a.yaml", "$vals/vals/shared.yaml"}}, map[string]string{"$vals": refRoot},
			want{map[string]any{"level": "ref", "fromRef": true, "fromA": true}, []string{"charts/app/values-a.yaml", "$vals/vals/shared.yaml"}}},
		{"http value files", &argo.HelmSource{ValueFiles: []string{"values-a.yaml", valuesSrv.URL + "/remote-values.yaml"}}, nil,
			want{map[string]any{"level": "http", "fromHTTP": true}, []string{"charts/app/values-a.yaml", valuesSrv.URL + "/remote-values.yaml"}}},
	}
	r := NewRenderer(t.TempDir())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := appRequest(t, tc.helm)
			req.Refs = tc.refs
			req.MultiSource = tc.refs != nil
			out, err := r.Template(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got := renderedValues(t, out, "myapp")
			for k, w := range tc.want.values {
				g, ok := got[k]
				if w == nil {
					if ok {
						t.Errorf("%s = %#v, want absent", k, g)
					}
					continue
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s = %#v, want %#v", k, g, w)
				}
			}
			if tc.want.valueFiles != nil && !reflect.DeepEqual(out.ValueFiles, tc.want.valueFiles) {
				t.Errorf("ValueFiles = %q, want %q", out.ValueFiles, tc.want.valueFiles)
			}
		})
	}
}

func TestTemplateOutput(t *testing.T) {
	r := NewRenderer(t.TempDir())
	out, err := r.Template(context.Background(), appRequest(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	// CRDs from crds/ come first and keep their path; hooks and test hooks are kept.
	if k := out.Manifests[0].Object["kind"]; k != "CustomResourceDefinition" || out.Manifests[0].Template != "charts/app/crds/widget.yaml" {
		t.Errorf("first manifest = %v from %s, want the CRD from charts/app/crds/widget.yaml", k, out.Manifests[0].Template)
	}
	dep := mustFind(t, out, "Deployment", "myapp")
	if dep.Template != "charts/app/templates/deploy.yaml" {
		t.Errorf("Deployment template = %q", dep.Template)
	}
	if rep := dep.Object["spec"].(map[string]any)["replicas"]; rep != int64(2) {
		t.Errorf("replicas = %#v, want int64(2)", rep)
	}
	if _, ok := dep.Object["metadata"].(map[string]any)["namespace"]; ok {
		t.Error("a namespace was injected into helm output")
	}
	if m := mustFind(t, out, "Job", "myapp-migrate"); m.Template != "charts/app/templates/hook.yaml" {
		t.Errorf("hook template = %q", m.Template)
	}
	mustFind(t, out, "Pod", "myapp-test")
	// crd, 2 configmaps, deployment, pod, job; nothing for the empty and null documents
	if n := len(out.Manifests); n != 6 {
		for _, m := range out.Manifests {
			t.Log(m.Object["kind"], m.Template)
		}
		t.Errorf("got %d manifests, want 6", n)
	}
	for _, want := range []string{"charts/app/Chart.yaml", "charts/app/values.yaml", "charts/app/templates/deploy.yaml"} {
		found := false
		for _, in := range out.Inputs {
			found = found || in == want
		}
		if !found {
			t.Errorf("Inputs %q lack %s", out.Inputs, want)
		}
	}
	caps := data(t, mustFind(t, out, "ConfigMap", "myapp-caps"))
	if caps["kubeVersion"] != "v1.34.0" || caps["cronjob"] != "true" || caps["custom"] != "false" {
		t.Errorf("capabilities = %v", caps)
	}
}

func TestTemplateOptions(t *testing.T) {
	r := NewRenderer(t.TempDir())
	tests := []struct {
		name   string
		mutate func(*Request)
		check  func(t *testing.T, out *Output)
	}{
		{"skipCrds", func(q *Request) { q.Helm = &argo.HelmSource{SkipCrds: true} }, func(t *testing.T, out *Output) {
			if _, ok := find(t, out, "CustomResourceDefinition", "widgets.example.com"); ok {
				t.Error("CRD rendered with skipCrds")
			}
		}},
		{"skipTests keeps other hooks", func(q *Request) { q.Helm = &argo.HelmSource{SkipTests: true} }, func(t *testing.T, out *Output) {
			if _, ok := find(t, out, "Pod", "myapp-test"); ok {
				t.Error("test hook rendered with skipTests")
			}
			mustFind(t, out, "Job", "myapp-migrate")
		}},
		{"namespace: destination", nil, func(t *testing.T, out *Output) {
			if ns := data(t, mustFind(t, out, "ConfigMap", "myapp-caps"))["namespace"]; ns != "dest" {
				t.Errorf(".Release.Namespace = %v", ns)
			}
		}},
		{"namespace: helm.namespace wins", func(q *Request) { q.Helm = &argo.HelmSource{Namespace: "hns"} }, func(t *testing.T, out *Output) {
			if ns := data(t, mustFind(t, out, "ConfigMap", "myapp-caps"))["namespace"]; ns != "hns" {
				t.Errorf(".Release.Namespace = %v", ns)
			}
		}},
		{"namespace: default when both empty", func(q *Request) { q.Namespace = "" }, func(t *testing.T, out *Output) {
			if ns := data(t, mustFind(t, out, "ConfigMap", "myapp-caps"))["namespace"]; ns != "default" {
				t.Errorf(".Release.Namespace = %v", ns)
			}
		}},
		{"release name: helm.releaseName", func(q *Request) { q.Helm = &argo.HelmSource{ReleaseName: "rel"} }, func(t *testing.T, out *Output) {
			mustFind(t, out, "Deployment", "rel")
		}},
		{"release name: name part of ns_app", func(q *Request) { q.AppName = "argocd_other" }, func(t *testing.T, out *Output) {
			mustFind(t, out, "Deployment", "other")
		}},
		{"capabilities from the request", func(q *Request) {
			q.KubeVersion = "1.31.4"
			q.APIVersions = append(q.APIVersions, "example.com/v1alpha1", "example.com/v1alpha1/Widget")
		}, func(t *testing.T, out *Output) {
			caps := data(t, mustFind(t, out, "ConfigMap", "myapp-caps"))
			if caps["kubeVersion"] != "v1.31.4" || caps["custom"] != "true" || caps["cronjob"] != "true" {
				t.Errorf("capabilities = %v", caps)
			}
		}},
		{"helm.apiVersions and kubeVersion replace the cluster's", func(q *Request) {
			q.Helm = &argo.HelmSource{KubeVersion: "1.30.0", APIVersions: []string{"example.com/v1alpha1/Widget"}}
		}, func(t *testing.T, out *Output) {
			caps := data(t, mustFind(t, out, "ConfigMap", "myapp-caps"))
			if caps["kubeVersion"] != "v1.30.0" || caps["custom"] != "true" || caps["cronjob"] != "false" {
				t.Errorf("capabilities = %v", caps)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := appRequest(t, nil)
			if tc.mutate != nil {
				tc.mutate(&req)
			}
			out, err := r.Template(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, out)
		})
	}
}

func TestTemplateFailures(t *testing.T) {
	root := testRoot(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	deadURL := srv.URL
	r := NewRenderer(t.TempDir())
	tests := []struct {
		name     string
		mutate   func(*Request)
		is       error  // errors.Is target, if any
		file     string // *Error file, if any
		lineOver int    // *Error line must be > this (when file set); -1: line 0
	}{
		{"missing values file", func(q *Request) { q.Helm = &argo.HelmSource{ValueFiles: []string{"values-a.yaml", "missing.yaml"}} },
			ErrValuesFileNotFound, "charts/app/missing.yaml", -1},
		{"glob without match", func(q *Request) { q.Helm = &argo.HelmSource{ValueFiles: []string{"env/none-*.yaml"}} }, ErrValuesFileNotFound, "", 0},
		{"escaping the root", func(q *Request) { q.Helm = &argo.HelmSource{ValueFiles: []string{"../../../outside.yaml"}} }, ErrOutsideRoot, "", 0},
		{"escaping the root from /", func(q *Request) { q.Helm = &argo.HelmSource{ValueFiles: []string{"/../outside.yaml"}} }, ErrOutsideRoot, "", 0},
		{"escaping with a glob", func(q *Request) { q.Helm = &argo.HelmSource{ValueFiles: []string{"../../../outs*.yaml"}} }, ErrOutsideRoot, "", 0},
		{"file parameter escaping", func(q *Request) {
			q.Helm = &argo.HelmSource{FileParameters: []argo.HelmFileParam{{Name: "x", Path: "../../../outside.yaml"}}}
		}, ErrOutsideRoot, "", 0},
		{"unknown $ref", func(q *Request) {
			q.MultiSource = true
			q.Helm = &argo.HelmSource{ValueFiles: []string{"$nope/values.yaml"}}
		}, ErrUnknownRef, "", 0},
		{"bad values YAML", func(q *Request) { q.Helm = &argo.HelmSource{ValueFiles: []string{"bad-values.yaml"}} }, nil, "charts/app/bad-values.yaml", 0},
		{"broken template", func(q *Request) { q.ChartPath = filepath.Join(root, "charts", "broken-tpl") }, nil, "charts/broken-tpl/templates/cm.yaml", 5},
		{"fail in a template", func(q *Request) {
			q.Helm = &argo.HelmSource{Parameters: []argo.HelmParameter{{Name: "failme", Value: "true"}}}
		},
			nil, "charts/app/templates/fail.yaml", 1},
		{"document without kind", func(q *Request) {
			q.Helm = &argo.HelmSource{Parameters: []argo.HelmParameter{{Name: "nokind", Value: "true"}}}
		},
			ErrMissingKind, "charts/app/templates/nokind.yaml", -1},
		{"broken Chart.yaml", func(q *Request) { q.ChartPath = filepath.Join(root, "charts", "broken-chartyaml") }, nil, "charts/broken-chartyaml/Chart.yaml", 0},
		{"library chart", func(q *Request) { q.ChartPath = filepath.Join(root, "charts", "library") }, ErrNotInstallable, "charts/library/Chart.yaml", -1},
		{"http values file not found", func(q *Request) { q.Helm = &argo.HelmSource{ValueFiles: []string{deadURL + "/v.yaml"}} }, nil, deadURL + "/v.yaml", -1},
		{"missing file parameter", func(q *Request) {
			q.Helm = &argo.HelmSource{FileParameters: []argo.HelmFileParam{{Name: "f", Path: "nope.txt"}}}
		},
			os.ErrNotExist, "charts/app/nope.txt", -1},
		{"release name over 53 characters", func(q *Request) { q.AppName = strings.Repeat("a", 54) }, nil, "", 0},
		{"chart outside the root", func(q *Request) { q.ChartPath = filepath.Join(root, "..", "refrepo") }, ErrOutsideRoot, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := appRequest(t, nil)
			tc.mutate(&req)
			out, err := r.Template(context.Background(), req)
			if err == nil {
				t.Fatalf("no error; %d manifests", len(out.Manifests))
			}
			t.Log(err)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if tc.file == "" {
				return
			}
			var he *Error
			if !errors.As(err, &he) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if he.File != tc.file {
				t.Errorf("Error.File = %q, want %q", he.File, tc.file)
			}
			switch {
			case tc.lineOver < 0 && he.Line != 0:
				t.Errorf("Error.Line = %d, want 0", he.Line)
			case tc.lineOver >= 0 && he.Line <= tc.lineOver:
				t.Errorf("Error.Line = %d, want > %d", he.Line, tc.lineOver)
			}
		})
	}
}

func TestDependencies(t *testing.T) {
	root := testRoot(t)
	r := NewRenderer(t.TempDir())
	t.Run("vendored in charts/", func(t *testing.T) {
		req := appRequest(t, nil)
		req.ChartPath = filepath.Join(root, "charts", "withsub")
		out, err := r.Template(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		m := mustFind(t, out, "ConfigMap", "myapp-sub")
		if g := data(t, m)["greeting"]; g != "hello-from-parent" {
			t.Errorf("greeting = %v", g)
		}
		if m.Template != "charts/withsub/charts/sub/templates/cm.yaml" {
			t.Errorf("template = %q", m.Template)
		}
	})
	for _, chart := range []string{"withlock", "nolock"} {
		t.Run("file:// dependency built, "+chart, func(t *testing.T) {
			req := appRequest(t, nil)
			req.ChartPath = filepath.Join(root, "charts", chart)
			out, err := r.Template(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			m := mustFind(t, out, "ConfigMap", "myapp-libdep")
			if c := data(t, m)["color"]; c != "green" {
				t.Errorf("color = %v", c)
			}
			if m.Template != "charts/libdep/templates/cm.yaml" {
				t.Errorf("template = %q", m.Template)
			}
			mustFind(t, out, "ConfigMap", "myapp-"+chart)
			if _, err := os.Stat(filepath.Join(req.ChartPath, "charts")); !os.IsNotExist(err) {
				t.Errorf("dependency build wrote into the checkout: %v", err)
			}
			found := false
			for _, in := range out.Inputs {
				found = found || in == "charts/libdep/values.yaml"
			}
			if !found {
				t.Errorf("Inputs %q lack the dependency's files", out.Inputs)
			}
		})
	}
	t.Run("lock out of sync", func(t *testing.T) {
		tmp := t.TempDir()
		copyDir(t, filepath.Join(root, "charts", "withlock"), filepath.Join(tmp, "charts", "withlock"))
		copyDir(t, filepath.Join(root, "charts", "libdep"), filepath.Join(tmp, "charts", "libdep"))
		lock := filepath.Join(tmp, "charts", "withlock", "Chart.lock")
		b, _ := os.ReadFile(lock)
		if err := os.WriteFile(lock, []byte(strings.Replace(string(b), "sha256:e", "sha256:f", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		req := appRequest(t, nil)
		req.Root, req.ChartPath = tmp, filepath.Join(tmp, "charts", "withlock")
		_, err := r.Template(context.Background(), req)
		if !errors.Is(err, ErrLockOutOfSync) {
			t.Fatalf("err = %v, want ErrLockOutOfSync", err)
		}
		var he *Error
		if !errors.As(err, &he) || he.File != "charts/withlock/Chart.lock" {
			t.Errorf("err = %#v, want an *Error on charts/withlock/Chart.lock", err)
		}
	})
}

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestChartLoadedOnce(t *testing.T) {
	r := NewRenderer(t.TempDir())
	for i := 0; i < 3; i++ {
		if _, err := r.Template(context.Background(), appRequest(t, &argo.HelmSource{ValueFiles: []string{"values-a.yaml"}})); err != nil {
			t.Fatal(err)
		}
	}
	if r.stats.loads != 1 {
		t.Errorf("chart loaded %d times, want 1", r.stats.loads)
	}
}

func BenchmarkTemplate(b *testing.B) {
	r := NewRenderer(b.TempDir())
	req := appRequest(b, &argo.HelmSource{ValueFiles: []string{"values-a.yaml"}, Parameters: []argo.HelmParameter{{Name: "x", Value: "y"}}})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Template(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	if r.stats.loads != 1 {
		b.Fatalf("chart loaded %d times", r.stats.loads)
	}
}

func TestConcurrentRenders(t *testing.T) {
	r := NewRenderer(t.TempDir())
	root := testRoot(t)
	errs := make(chan error, 24)
	var wg sync.WaitGroup
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req := appRequest(t, &argo.HelmSource{Parameters: []argo.HelmParameter{{Name: "level", Value: fmt.Sprint(i)}}})
			req.AppName = fmt.Sprintf("app%d", i)
			switch i % 3 {
			case 1:
				req.ChartPath = filepath.Join(root, "charts", "withlock")
			case 2:
				req.ChartPath = filepath.Join(root, "charts", "withsub")
			}
			out, err := r.Template(context.Background(), req)
			if err != nil {
				errs <- err
				return
			}
			if i%3 == 0 {
				if v := renderedValues(t, out, req.AppName)["level"]; v != float64(i) {
					errs <- fmt.Errorf("render %d saw level %v", i, v)
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestValueFileGlobStaysInside: a value-file glob expands over the rooted
// filesystem, so a directory link out of the root is never listed: the
// glob matches nothing there, and the error names nothing outside.
func TestValueFileGlobStaysInside(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "charts", "app"), os.DirFS(filepath.Join(testRoot(t), "charts", "app"))); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(outside, "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "deep", "leak.yaml"), []byte("replicas: 9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "vals")); err != nil {
		t.Fatal(err)
	}
	req := appRequest(t, &argo.HelmSource{ValueFiles: []string{"/vals/**/*.yaml"}})
	req.Root, req.ChartPath = root, filepath.Join(root, "charts", "app")
	_, err := NewRenderer(t.TempDir()).Template(context.Background(), req)
	if !errors.Is(err, ErrValuesFileNotFound) {
		t.Fatalf("err = %v, want %v (the link's target is not listed)", err, ErrValuesFileNotFound)
	}
	if strings.Contains(err.Error(), outside) || strings.Contains(err.Error(), "leak.yaml") {
		t.Fatalf("error names a file outside the root: %v", err)
	}
}
