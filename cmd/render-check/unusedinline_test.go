package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// unusedRepo is a config repo whose chart has a subchart, reads global
// values and passes .Values.resources whole to toYaml; its values come from
// values files, Argo CD inline values (values and valuesObject) and
// kustomize helmCharts (valuesFile and valuesInline). Every source holds
// one misspelled key and keys that are read only through a subchart,
// global or toYaml.
func unusedRepo(t *testing.T) string {
	t.Helper()
	app := func(name, helm string) string {
		return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %s
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
  source:
    repoURL: https://git.example/config.git
    targetRevision: HEAD
    path: charts/web
    helm:
%s`, name, helm)
	}
	// read by the chart: replicaCount, image.tag, resources (whole),
	// global.* and sub.* (subchart)
	read := "replicaCount: 2\nimage:\n  tag: \"1\"\nresources:\n  limits:\n    cpu: 1\nglobal:\n  region: eu\nsub:\n  port: 80\n"
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		".render-check.yaml":     "repoURLs: [https://git.example/config.git]\nrender:\n  kustomizeBuildOptions: --enable-helm\n",
		"charts/web/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
		"charts/web/values.yaml": "replicaCount: 1\nimage:\n  tag: \"0\"\nresources: {}\n",
		"charts/web/templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-web
data:
  replicas: {{ .Values.replicaCount | quote }}
  tag: {{ .Values.image.tag | quote }}
  region: {{ .Values.global.region | default "x" | quote }}
  resources: |
{{ toYaml .Values.resources | indent 4 }}
`,
		"charts/web/charts/sub/Chart.yaml":         "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"charts/web/charts/sub/values.yaml":        "port: 8080\n",
		"charts/web/charts/sub/templates/svc.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-sub\ndata:\n  port: {{ .Values.port | quote }}\n",
		"values/prod.yaml":                         read + "replicaCont: 5\n",
		"clusters/dev/apps/files.yaml":             app("files", "      valueFiles:\n        - ../../values/prod.yaml\n"),
		"clusters/dev/apps/literal.yaml":           app("literal", "      values: |\n"+indent(read, 8)+"        imageTag: x\n"),
		"clusters/dev/apps/object.yaml":            app("object", "      values: |\n        replicaCont: 9\n      valuesObject:\n"+indent(strings.Replace(read, "  tag: \"1\"\n", "  tag: \"1\"\n  tga: x\n", 1), 8)),
		"clusters/dev/apps/kust.yaml":              strings.Replace(app("kust", "      {}\n"), "path: charts/web", "path: kust", 1),
		"kust/kustomization.yaml":                  "helmGlobals:\n  chartHome: ../charts\nhelmCharts:\n  - name: web\n    releaseName: kust\n    valuesFile: values.yaml\n    valuesInline:\n" + indent(read, 6) + "      replicaCount2: 3\n",
		"kust/values.yaml":                         read + "imag:\n  tag: x\n",
	})
	return root
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+pad) + "\n"
}

// TestCheckUnusedValuesEverySource: render/unused-value warns at the key's
// line for values files, Argo CD values/valuesObject (the Application's
// lines; valuesObject wins over values as in Argo CD) and kustomize
// helmCharts valuesFile/valuesInline, and never for keys read by a
// subchart, under global or through toYaml of a parent key.
func TestCheckUnusedValuesEverySource(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	root := unusedRepo(t)
	code, got, log := checkGitHub(t, root)
	if code != exitOK {
		t.Fatalf("exit %d, want 0 (warnings only):\n%s", code, log)
	}
	var have []string
	for _, a := range got {
		if a.level == "error" {
			t.Errorf("unexpected error %+v", a)
		}
		if !strings.Contains(a.title, "render/unused-value") {
			continue
		}
		key, _, _ := strings.Cut(strings.TrimPrefix(a.message, "values key "), " ")
		sugg := ""
		if _, s, ok := strings.Cut(a.message, "did you mean "); ok {
			sugg = " -> " + strings.Trim(s, `"?`)
		}
		have = append(have, fmt.Sprintf("%s:%d %s%s", a.file, a.line, key, sugg))
	}
	slices.Sort(have)
	want := []string{
		"clusters/dev/apps/literal.yaml:27 imageTag",
		"clusters/dev/apps/object.yaml:22 image.tga -> tag",
		"kust/kustomization.yaml:18 replicaCount2 -> replicaCount",
		"kust/values.yaml:11 imag -> image",
		"values/prod.yaml:11 replicaCont -> replicaCount",
	}
	if !slices.Equal(have, want) {
		t.Errorf("unused-value warnings:\n got %q\nwant %q\n%s", have, want, log)
	}
}
