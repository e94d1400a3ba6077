package helm

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func inflateRequest(t testing.TB) InflateRequest {
	root := testRoot(t)
	return InflateRequest{Name: "app", ChartHome: filepath.Join(root, "charts"), Root: root, Dir: root}
}

func TestInflate(t *testing.T) {
	r := NewRenderer(t.TempDir())
	tests := []struct {
		name   string
		mutate func(*InflateRequest)
		check  func(t *testing.T, out *Output)
	}{
		{"defaults: release-name, namespace default, no CRDs, hooks kept", nil, func(t *testing.T, out *Output) {
			caps := data(t, mustFind(t, out, "ConfigMap", "release-name-caps"))
			if caps["namespace"] != "default" || caps["release"] != "release-name" {
				t.Errorf("caps = %v", caps)
			}
			if _, ok := find(t, out, "CustomResourceDefinition", "widgets.example.com"); ok {
				t.Error("CRDs rendered without includeCRDs")
			}
			mustFind(t, out, "Pod", "release-name-test")
			mustFind(t, out, "Job", "release-name-migrate")
			if v := renderedValues(t, out, "release-name"); v["level"] != "chart" {
				t.Errorf("level = %v", v["level"])
			}
			if !reflect.DeepEqual(out.ValueFiles, []string{"charts/app/values.yaml"}) {
				t.Errorf("ValueFiles = %q", out.ValueFiles)
			}
			if m := mustFind(t, out, "Deployment", "release-name"); m.Template != "charts/app/templates/deploy.yaml" {
				t.Errorf("template = %q", m.Template)
			}
		}},
		{"includeCRDs, releaseName, namespace", func(q *InflateRequest) { q.IncludeCRDs, q.ReleaseName, q.Namespace = true, "kr", "kns" }, func(t *testing.T, out *Output) {
			mustFind(t, out, "CustomResourceDefinition", "widgets.example.com")
			if ns := data(t, mustFind(t, out, "ConfigMap", "kr-caps"))["namespace"]; ns != "kns" {
				t.Errorf("namespace = %v", ns)
			}
		}},
		{"nameTemplate", func(q *InflateRequest) { q.NameTemplate = `nt-{{ "x" }}` }, func(t *testing.T, out *Output) {
			mustFind(t, out, "Deployment", "nt-x")
		}},
		{"skipTests and skipHooks", func(q *InflateRequest) { q.SkipTests = true }, func(t *testing.T, out *Output) {
			if _, ok := find(t, out, "Pod", "release-name-test"); ok {
				t.Error("test hook kept with skipTests")
			}
			mustFind(t, out, "Job", "release-name-migrate")
		}},
		{"skipHooks", func(q *InflateRequest) { q.SkipHooks = true }, func(t *testing.T, out *Output) {
			if _, ok := find(t, out, "Job", "release-name-migrate"); ok {
				t.Error("hook kept with skipHooks")
			}
		}},
		{"capabilities", func(q *InflateRequest) { q.KubeVersion, q.ApiVersions = "1.29.1", []string{"batch/v1/CronJob"} }, func(t *testing.T, out *Output) {
			caps := data(t, mustFind(t, out, "ConfigMap", "release-name-caps"))
			if caps["kubeVersion"] != "v1.29.1" || caps["cronjob"] != "true" {
				t.Errorf("caps = %v", caps)
			}
		}},
		{"valuesFile relative to the kustomization", func(q *InflateRequest) { q.ValuesFile = "charts/app/values-a.yaml" }, func(t *testing.T, out *Output) {
			v := renderedValues(t, out, "release-name")
			if v["level"] != "a" || v["fromChart"] != true {
				t.Errorf("values = %v", v)
			}
			if !reflect.DeepEqual(out.ValueFiles, []string{"charts/app/values-a.yaml"}) {
				t.Errorf("ValueFiles = %q", out.ValueFiles)
			}
		}},
		{"valuesInline override (default)", func(q *InflateRequest) {
			q.ValuesFile = "charts/app/values-a.yaml"
			q.ValuesInline = map[string]any{"level": "inline", "image": map[string]any{"tag": "9"}, "onlyInline": 1}
		}, func(t *testing.T, out *Output) {
			v := renderedValues(t, out, "release-name")
			img := v["image"].(map[string]any)
			if v["level"] != "inline" || v["fromA"] != true || img["tag"] != "9" || img["repository"] != "registry.example/app" || v["onlyInline"] != float64(1) {
				t.Errorf("values = %v", v)
			}
		}},
		{"valuesInline merge: the file wins", func(q *InflateRequest) {
			q.ValuesFile, q.ValuesMerge = "charts/app/values-a.yaml", "merge"
			q.ValuesInline = map[string]any{"level": "inline", "onlyInline": true}
		}, func(t *testing.T, out *Output) {
			v := renderedValues(t, out, "release-name")
			if v["level"] != "a" || v["onlyInline"] != true {
				t.Errorf("values = %v", v)
			}
		}},
		{"valuesInline replace: the file is ignored", func(q *InflateRequest) {
			q.ValuesFile, q.ValuesMerge = "charts/app/values-a.yaml", "replace"
			q.ValuesInline = map[string]any{"level": "inline"}
		}, func(t *testing.T, out *Output) {
			v := renderedValues(t, out, "release-name")
			if v["level"] != "inline" || v["fromA"] != nil || v["fromChart"] != true {
				t.Errorf("values = %v", v)
			}
		}},
		{"additionalValuesFiles last", func(q *InflateRequest) {
			q.ValuesInline = map[string]any{"level": "inline"}
			q.AdditionalValuesFiles = []string{"charts/app/values-b.yaml"}
		}, func(t *testing.T, out *Output) {
			v := renderedValues(t, out, "release-name")
			if v["level"] != "b" {
				t.Errorf("values = %v", v)
			}
			if !reflect.DeepEqual(out.ValueFiles, []string{"charts/app/values.yaml", "charts/app/values-b.yaml"}) {
				t.Errorf("ValueFiles = %q", out.ValueFiles)
			}
		}},
		{"load restrictions none", func(q *InflateRequest) {
			q.Dir, q.ValuesFile, q.LoadRestrictionsNone = filepath.Join(q.Root, "charts"), "../values/prod.yaml", true
		}, func(t *testing.T, out *Output) {
			if v := renderedValues(t, out, "release-name"); v["level"] != "prod" {
				t.Errorf("level = %v", v["level"])
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := inflateRequest(t)
			if tc.mutate != nil {
				tc.mutate(&req)
			}
			out, err := r.Inflate(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, out)
		})
	}
}

func TestInflateFailures(t *testing.T) {
	r := NewRenderer(t.TempDir())
	tests := []struct {
		name   string
		mutate func(*InflateRequest)
		is     error
	}{
		{"no chart and no repo", func(q *InflateRequest) { q.Name = "absent" }, ErrInvalidHelmChart},
		{"bad valuesMerge", func(q *InflateRequest) { q.ValuesMerge = "deep" }, ErrInvalidHelmChart},
		{"releaseName and nameTemplate", func(q *InflateRequest) { q.ReleaseName, q.NameTemplate = "a", "b" }, ErrInvalidHelmChart},
		{"empty name", func(q *InflateRequest) { q.Name = "" }, ErrInvalidHelmChart},
		{"values file outside the root", func(q *InflateRequest) { q.ValuesFile = "../outside.yaml" }, ErrOutsideRoot},
		{"values file outside the kustomization (load restrictor)", func(q *InflateRequest) {
			q.Dir, q.ValuesFile = filepath.Join(q.Root, "charts"), "../values/prod.yaml"
		}, ErrOutsideRoot},
		{"missing values file", func(q *InflateRequest) { q.ValuesFile = "nope.yaml" }, ErrValuesFileNotFound},
		{"chart with missing dependencies", func(q *InflateRequest) { q.Name = "withlock" }, ErrMissingDependency},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := inflateRequest(t)
			tc.mutate(&req)
			_, err := r.Inflate(context.Background(), req)
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
		})
	}
}
