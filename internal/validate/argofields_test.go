package validate

import (
	"fmt"
	"strings"
	"testing"
)

func argoFindings(t *testing.T, files map[string]string) ArgoFields {
	t.Helper()
	var names []string
	for n := range files {
		names = append(names, n)
	}
	return ArgoUnknownFields(names, func(rel string) ([]byte, error) {
		d, ok := files[rel]
		if !ok {
			return nil, fmt.Errorf("%s: no such file", rel)
		}
		return []byte(d), nil
	}, true)
}

// TestArgoUnknownFieldsFreeForm: free-form parts of Argo CD's CRDs
// (valuesObject, list elements, plugin parameters, generator values, a
// matrix of generators, templatePatch) and kustomize patch directives give
// no finding; each misspelt key gives one, at its line, with a suggestion.
func TestArgoUnknownFieldsFreeForm(t *testing.T) {
	app := `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
  labels: {a: b}
  annotations: {argocd.argoproj.io/sync-wave: "1"}
  finalizers: [resources-finalizer.argocd.argoproj.io]
spec:
  project: default
  sources:
    - repoURL: https://example.com/r.git
      targetRevision: main
      path: web
      helm:
        valueFiles: [$values/a.yaml]
        valuesObject:
          anything: {goes: [1, 2]}
        parameters: [{name: a, value: b, forceString: true}]
    - repoURL: https://example.com/v.git
      ref: values
    - repoURL: https://example.com/p.git
      path: p
      plugin:
        name: cmp
        env: [{name: A, value: b}]
        parameters:
          - name: p
            map: {free: form}
      kustomize:
        namePrefx: x-
  destination: {server: https://kubernetes.default.svc, namespace: web}
  ignoreDifferences:
    - group: apps
      kind: Deployment
      jsonPointers: [/spec/replicas]
      jqPathExpresions: [.x]
  info: [{name: a, value: b}]
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true]
    retry: {limit: 2, backof: {duration: 5s}}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: set, namespace: argocd}
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - {cluster: a, url: https://a, anyKey: {nested: true}}
    - matrix:
        generators:
          - git:
              repoURL: https://example.com/r.git
              revision: main
              directories: [{path: apps/*}]
              values: {free: form}
          - clusters:
              selector: {matchLabels: {tier: prod}}
  templatePatch: |
    spec:
      anything: here
  template:
    metadata: {name: '{{.cluster}}'}
    spec:
      project: default
      source: {repoURL: https://example.com/r.git, path: '{{.path.path}}', targetRevison: main}
      destination: {server: '{{.url}}', namespace: x}
  syncPolicy: {preserveResourcesOnDeletion: true}
`
	patch := `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web}
spec:
  $patch: replace
  ${EXTRA_FIELD}: x
  syncPolicy: {automated: {prune: false}}
`
	chart := "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: c}\nspec:\n  projet: x\n"
	out := argoFindings(t, map[string]string{"apps/app.yaml": app, "apps/patch.yaml": patch,
		"charts/apps/Chart.yaml": "name: apps\n", "charts/apps/templates/app.yaml": chart})
	var got []string
	for _, f := range out.Findings {
		got = append(got, fmt.Sprintf("%s:%d %s %s", f.File, f.Line, f.Rule, f.Message[:strings.Index(f.Message, " (schema:")]))
	}
	want := []string{
		`apps/app.yaml:31 schema/invalid spec.sources[2].kustomize.namePrefx: unknown field "namePrefx", which Argo CD ignores; did you mean "namePrefix"?`,
		`apps/app.yaml:37 schema/invalid spec.ignoreDifferences[0].jqPathExpresions: unknown field "jqPathExpresions", which Argo CD ignores; did you mean "jqPathExpressions"?`,
		`apps/app.yaml:42 schema/invalid spec.syncPolicy.retry.backof: unknown field "backof", which Argo CD ignores; did you mean "backoff"?`,
		`apps/app.yaml:69 schema/invalid spec.template.spec.source.targetRevison: unknown field "targetRevison", which Argo CD ignores; did you mean "targetRevision"?`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !out.Checked["apps/app.yaml"] || !out.Checked["apps/patch.yaml"] || out.Checked["charts/apps/templates/app.yaml"] {
		t.Errorf("checked files: %v", out.Checked)
	}
}

// TestArgoFieldsCovers: the rendered copy of a checked Application does not
// report its unknown field again, nor the required field it misspells; a
// problem of another kind or file still is.
func TestArgoFieldsCovers(t *testing.T) {
	out := argoFindings(t, map[string]string{"a.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec:\n  projet: x\n  destination: {namespace: a}\n"})
	if len(out.Findings) != 1 {
		t.Fatalf("findings: %+v", out.Findings)
	}
	obj := map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"projet": "x", "destination": map[string]any{"namespace": "a"}}}
	// with the schema's source after the message
	unknown := Problem{Path: []string{"spec", "projet"}, Message: `unknown field "projet" (schema: embedded catalog: x)`, unknown: true}
	required := Problem{Path: []string{"spec"}, Message: `missing required field "project" (schema: embedded catalog: x)`}
	other := Problem{Path: []string{"spec"}, Message: `missing required field "source"`}
	for _, tc := range []struct {
		file string
		p    Problem
		want bool
	}{
		{"a.yaml", unknown, true},
		{"a.yaml", required, true},
		{"a.yaml", other, false},
		{"b.yaml", unknown, false},
	} {
		if got := out.covers(tc.file, obj, tc.p); got != tc.want {
			t.Errorf("covers(%s, %s) = %v, want %v", tc.file, tc.p.Message, got, tc.want)
		}
	}
}

// TestVerdictsKeepUnknownFlag: a verdict read back from the verdict cache
// still says which problems are unknown fields, so a warm run folds them
// into the Application file's finding as a cold run does.
func TestVerdictsKeepUnknownFlag(t *testing.T) {
	in := []objVerdict{{problems: []Problem{
		{Rule: "schema/invalid", Path: []string{"spec", "projet"}, Message: `unknown field "projet"`, unknown: true},
		{Rule: "schema/invalid", Path: []string{"spec"}, Message: `missing required field "project"`},
	}}}
	out, err := decodeVerdicts(encodeVerdicts(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || len(out[0].problems) != 2 || !out[0].problems[0].unknown || out[0].problems[1].unknown {
		t.Fatalf("round trip: %+v", out)
	}
}
