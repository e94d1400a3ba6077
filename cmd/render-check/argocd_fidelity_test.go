package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

// Tests of the divergences from Argo CD found by running Argo CD's own
// manifest generation side by side (issue 15). Each case renders a small
// repo through `render` and `check`; the expectation is what Argo CD v3.6
// does, as read from its source (named in each case).

// argoApp is an Application with a chosen metadata.namespace and source.
func argoApp(name, namespace, source string) string {
	return "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: " + name + "\n  namespace: " + namespace +
		"\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.com/platform/config.git\n    targetRevision: main\n" + source +
		"  destination:\n    server: https://kubernetes.default.svc\n    namespace: " + name + "\n  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n"
}

// renderAndCheck renders root into a temp dir (returning cluster/app file ->
// content and the exit code) and runs check on it.
func renderAndCheck(t *testing.T, root string) (map[string]string, int, *report.Report) {
	t.Helper()
	out := t.TempDir()
	code, _, stderr := runRenderCmd(t, "--root", root, "--output-dir", out)
	if code == exitError {
		t.Fatalf("render: exit %d: %s", code, stderr)
	}
	rendered := map[string]string{}
	for _, f := range listFiles(t, out) {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		rendered[f] = string(b)
	}
	ccode, rep, cstderr := checkJSON(t, root)
	if rep == nil {
		t.Fatalf("check: exit %d: %s", ccode, cstderr)
	}
	return rendered, ccode, rep
}

// appFindings returns the findings of rule for app ("" = any app).
func appFindings(rep *report.Report, rule, app string) []report.Finding {
	var out []report.Finding
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.Rule, rule) {
			continue
		}
		// a finding folded over several apps names each in its targets
		for _, t := range f.Targets() {
			if app == "" || t.App == app {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

func appSource(rep *report.Report, app string) (string, int) {
	for _, c := range rep.Clusters {
		for _, a := range c.Apps {
			if a.Name == app {
				return a.Source, a.Resources
			}
		}
	}
	return "", -1
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func mustNotContain(t *testing.T, what, text string, nots ...string) {
	t.Helper()
	for _, w := range nots {
		if strings.Contains(text, w) {
			t.Errorf("%s contains %q:\n%s", what, w, text)
		}
	}
}

var fidelityChart = map[string]string{
	"charts/web/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.1.0\n",
	"charts/web/values.yaml": "who: nobody\ntier: base\n",
	"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n" +
		"  who: {{ .Values.who | quote }}\n  tier: {{ .Values.tier | quote }}\n",
}

func fidelityRepo(t *testing.T, config string, files map[string]string) string {
	t.Helper()
	all := map[string]string{".render-check.yaml": checkConfig + config, ".github/CODEOWNERS": checkOwners}
	for k, v := range fidelityChart {
		all[k] = v
	}
	for k, v := range files {
		all[k] = v
	}
	return checkRepo(t, all)
}

// TestArgoInstanceName (cause 1): an Application outside the control-plane
// namespace is NS_NAME to the repo-server (Application.InstanceName):
// .argocd-source-NS_NAME.yaml and ARGOCD_APP_NAME; the Helm release name
// stays the bare name (helmTemplate's ParseInstanceName).
func TestArgoInstanceName(t *testing.T) {
	files := map[string]string{
		"clusters/lab/apps/web.yaml":                argoApp("web", "team-a", "    path: charts/web\n    helm:\n      parameters:\n        - name: who\n          value: $ARGOCD_APP_NAME\n"),
		"charts/web/.argocd-source-team-a_web.yaml": "helm:\n  parameters:\n    - name: who\n      value: $ARGOCD_APP_NAME\n    - name: tier\n      value: instance-file\n",
		"charts/web/.argocd-source-web.yaml":        "helm:\n  parameters:\n    - name: who\n      value: $ARGOCD_APP_NAME\n    - name: tier\n      value: name-file\n",
	}
	t.Run("default control plane argocd", func(t *testing.T) {
		rendered, _, rep := renderAndCheck(t, fidelityRepo(t, "", files))
		mustContain(t, "web", rendered["lab/web.yaml"], "name: web\n", `who: team-a_web`, `tier: instance-file`)
		if fs := appFindings(rep, "render/", "web"); len(fs) != 0 {
			t.Errorf("render findings: %+v", fs)
		}
	})
	t.Run("control plane team-a", func(t *testing.T) {
		rendered, _, _ := renderAndCheck(t, fidelityRepo(t, "render:\n  controlPlaneNamespace: team-a\n", files))
		mustContain(t, "web", rendered["lab/web.yaml"], `who: web`, `tier: name-file`)
	})
}

// TestArgoEmptyOptionBlocks (cause 2): NormalizeSource drops helm: {},
// kustomize: {} and directory: {recurse: false} before type detection.
func TestArgoEmptyOptionBlocks(t *testing.T) {
	root := fidelityRepo(t, "", map[string]string{
		"kust/kustomization.yaml":              "resources:\n  - cm.yaml\n",
		"kust/cm.yaml":                         okConfigMap,
		"clusters/lab/apps/helm-empty.yaml":    argoApp("helm-empty", "argocd", "    path: kust\n    helm: {}\n"),
		"clusters/lab/apps/kust-empty.yaml":    argoApp("kust-empty", "argocd", "    path: charts/web\n    kustomize: {}\n"),
		"clusters/lab/apps/dir-empty.yaml":     argoApp("dir-empty", "argocd", "    path: kust\n    directory:\n      recurse: false\n"),
		"clusters/lab/apps/two-empty.yaml":     argoApp("two-empty", "argocd", "    path: kust\n    helm: {}\n    directory: {}\n"),
		"clusters/lab/apps/force-labels.yaml":  argoApp("force-labels", "argocd", "    path: charts/web\n    kustomize:\n      forceCommonLabels: true\n"),
		"clusters/lab/apps/helm-set.yaml":      argoApp("helm-set", "argocd", "    path: kust\n    helm:\n      releaseName: x\n"),
		"clusters/lab/apps/dir-include.yaml":   argoApp("dir-include", "argocd", "    path: kust\n    directory:\n      include: 'cm.yaml'\n"),
		"clusters/lab/apps/kust-explicit.yaml": argoApp("kust-explicit", "argocd", "    path: kust\n    kustomize:\n      namePrefix: p-\n"),
		// override files apply after normalisation: helm: {} there is explicit
		"kust/.argocd-source-late-helm.yaml": "helm: {}\n",
		"clusters/lab/apps/late-helm.yaml":   argoApp("late-helm", "argocd", "    path: kust\n"),
		// and are read as YAML 1.1 (sigs.k8s.io/yaml): recurse: yes is true
		"nested/cm.yaml":                     okConfigMap,
		"nested/sub/sa.yaml":                 "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sub\n",
		"nested/.argocd-source-recurse.yaml": "directory:\n  recurse: yes\n",
		"clusters/lab/apps/recurse.yaml":     argoApp("recurse", "argocd", "    path: nested\n"),
	})
	rendered, _, rep := renderAndCheck(t, root)
	for app, want := range map[string]string{
		"helm-empty": "kustomize", "kust-empty": "helm", "dir-empty": "kustomize", "two-empty": "kustomize",
		"force-labels": "helm", "dir-include": "directory", "kust-explicit": "kustomize",
	} {
		if src, n := appSource(rep, app); src != want || n != 1 {
			t.Errorf("%s: source %q with %d resources, want %s with 1", app, src, n, want)
		}
		if fs := appFindings(rep, "render/failed", app); len(fs) != 0 {
			t.Errorf("%s: %+v", app, fs)
		}
	}
	// a non-empty helm block is explicit: no Chart.yaml there fails, as in Argo CD
	if fs := appFindings(rep, "render/failed", "helm-set"); len(fs) != 1 {
		t.Errorf("helm-set: want one render/failed, got %+v", fs)
	}
	mustContain(t, "kust-explicit", rendered["lab/kust-explicit.yaml"], "name: p-settings")
	if src, _ := appSource(rep, "late-helm"); src != "helm" || len(appFindings(rep, "render/failed", "late-helm")) != 1 {
		t.Errorf("late-helm: source %q, findings %+v; want an explicit helm source failing", src, appFindings(rep, "render/", "late-helm"))
	}
	if src, n := appSource(rep, "recurse"); src != "directory" || n != 2 {
		t.Errorf("recurse: %s with %d resources, want directory with 2", src, n)
	}
}

// TestArgoDirectoryDecoding (causes 3-6): disableExtensionFilter; a List
// with items: null is dropped (isNullList); manifests are decoded with
// Kubernetes' YAML-or-JSON decoder (YAML 1.1 booleans, keys on/n, duplicate
// keys keep the last value).
func TestArgoDirectoryDecoding(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: shell\nspec:\n  containers:\n    - name: sh\n      image: busybox:1.36\n      tty: yes\n      stdin: on\n      stdinOnce: Off\n"
	root := fidelityRepo(t, "", map[string]string{
		"plain/cm.txt":                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-txt\n",
		"plain/notes.md":                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-md\n",
		"plain/cm.yaml":                   okConfigMap,
		"clusters/lab/apps/txt.yaml":      argoApp("txt", "argocd", "    path: plain\n    directory:\n      disableExtensionFilter: true\n      include: '*.{txt,yaml}'\n"),
		"clusters/lab/apps/filtered.yaml": argoApp("filtered", "argocd", "    path: plain\n"),
		"lists/empty.yaml":                "apiVersion: v1\nkind: SecretList\nitems: null\n",
		"lists/cm.yaml":                   okConfigMap,
		"clusters/lab/apps/lists.yaml":    argoApp("lists", "argocd", "    path: lists\n"),
		"yaml11/pod.yaml":                 pod,
		"yaml11/cm.yaml":                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\ndata:\n  on: switched\n  n: letter\n  a: first\n  a: second\n",
		"clusters/lab/apps/yaml11.yaml":   argoApp("yaml11", "argocd", "    path: yaml11\n"),
	})
	rendered, _, rep := renderAndCheck(t, root)
	if src, n := appSource(rep, "txt"); src != "directory" || n != 2 {
		t.Errorf("txt: %s with %d resources, want directory with 2", src, n)
	}
	mustContain(t, "txt", rendered["lab/txt.yaml"], "name: from-txt", "# Source: plain/cm.txt:1")
	mustNotContain(t, "txt", rendered["lab/txt.yaml"], "from-md")
	mustNotContain(t, "filtered", rendered["lab/filtered.yaml"], "from-txt")

	if _, n := appSource(rep, "lists"); n != 1 {
		t.Errorf("lists: %d resources, want 1 (the null SecretList is dropped)", n)
	}
	mustNotContain(t, "lists", rendered["lab/lists.yaml"], "SecretList")

	mustContain(t, "yaml11", rendered["lab/yaml11.yaml"], "tty: true", "stdin: true", "stdinOnce: false",
		`"true": switched`, `"false": letter`, "a: second")
	mustNotContain(t, "yaml11", rendered["lab/yaml11.yaml"], "first")
	for _, app := range []string{"txt", "lists", "yaml11"} {
		if fs := append(appFindings(rep, "schema/", app), appFindings(rep, "render/", app)...); len(fs) != 0 {
			t.Errorf("%s: findings %+v", app, fs)
		}
	}
}

// TestArgoApplicationYAML11 (cause 5): kubectl reads an Application file
// as YAML 1.1, so `namespace: y` is the boolean true and the API server
// rejects the Application; a boolean field written `yes` is fine.
func TestArgoApplicationYAML11(t *testing.T) {
	app := "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: bools\n  namespace: argocd\nspec:\n  project: default\n" +
		"  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: charts/web\n    helm:\n      skipCrds: yes\n" +
		"      valuesObject:\n        enabled: on\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: y\n"
	root := fidelityRepo(t, "", map[string]string{"clusters/lab/apps/bools.yaml": app})
	_, code, rep := renderAndCheck(t, root)
	fs := appFindings(rep, "render/yaml11-boolean", "")
	if len(fs) != 1 || fs[0].File != "clusters/lab/apps/bools.yaml" || fs[0].Line != 17 || fs[0].Severity != report.SeverityError ||
		!strings.Contains(fs[0].Message, "spec.destination.namespace") {
		t.Fatalf("findings = %+v, want one render/yaml11-boolean at line 17", rep.Findings)
	}
	if code != exitFindings {
		t.Errorf("exit %d, want %d", code, exitFindings)
	}
	// skipCrds: yes is the boolean kubectl sends: the app decodes and renders
	if src, n := appSource(rep, "bools"); src != "helm" || n != 1 {
		t.Errorf("bools: %s with %d resources, want helm with 1", src, n)
	}
}

// TestArgoKustomizeHelmCharts (causes 7-9): kustomize's helmCharts as
// kustomize api v0.21.2 runs them: chart objects are not namespaced by the
// kustomization's namespace (they get the destination's); chartHome outside
// the kustomization directory and a chart without values.yaml fail.
func TestArgoKustomizeHelmCharts(t *testing.T) {
	chart := func(dir string, values bool) map[string]string {
		m := map[string]string{
			dir + "/Chart.yaml":             "apiVersion: v2\nname: web\nversion: 0.1.0\n",
			dir + "/templates/cm.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n",
			dir + "/templates/account.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Release.Name }}-sa\n  namespace: {{ .Release.Namespace }}\n",
		}
		if values {
			m[dir+"/values.yaml"] = "replicas: 1\n"
		}
		return m
	}
	files := map[string]string{
		"hk/kustomization.yaml":           "namespace: kns\nresources:\n  - own.yaml\nhelmCharts:\n  - name: web\n    releaseName: rel\n",
		"hk/own.yaml":                     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\n",
		"outside/kustomization.yaml":      "helmGlobals:\n  chartHome: ../shared-charts\nhelmCharts:\n  - name: web\n    releaseName: rel\n",
		"novalues/kustomization.yaml":     "helmCharts:\n  - name: web\n    releaseName: rel\n",
		"clusters/lab/apps/hk.yaml":       argoApp("hk", "argocd", "    path: hk\n"),
		"clusters/lab/apps/outside.yaml":  argoApp("outside", "argocd", "    path: outside\n"),
		"clusters/lab/apps/novalues.yaml": argoApp("novalues", "argocd", "    path: novalues\n"),
		"inline/kustomization.yaml":       "helmCharts:\n  - name: web\n    releaseName: rel\n    valuesMerge: replace\n    valuesInline:\n      a: 1\n",
		"clusters/lab/apps/inline.yaml":   argoApp("inline", "argocd", "    path: inline\n"),
	}
	for _, m := range []map[string]string{chart("hk/charts/web", true), chart("shared-charts/web", true), chart("novalues/charts/web", false), chart("inline/charts/web", false)} {
		for k, v := range m {
			files[k] = v
		}
	}
	rendered, _, rep := renderAndCheck(t, fidelityRepo(t, "render:\n  kustomizeBuildOptions: --enable-helm\n", files))
	hk := rendered["lab/hk.yaml"]
	// own.yaml gets the kustomization's namespace, the chart's ConfigMap the
	// destination's, the ServiceAccount the namespace helm was given
	mustContain(t, "hk", hk, "name: own\n  namespace: kns", "name: rel-cm\n  namespace: hk", "name: rel-sa\n  namespace: kns")
	mustNotContain(t, "hk", hk, "helm-generated")
	if fs := appFindings(rep, "render/failed", "hk"); len(fs) != 0 {
		t.Errorf("hk: %+v", fs)
	}
	out := appFindings(rep, "render/failed", "outside")
	if len(out) != 1 || !strings.Contains(out[0].Message, "not in or below") {
		t.Errorf("outside: want a load-restrictor failure, got %+v", out)
	}
	nv := appFindings(rep, "render/failed", "novalues")
	if len(nv) != 1 || !strings.Contains(nv[0].Message, "values.yaml") || nv[0].File != "novalues/charts/web" {
		t.Errorf("novalues: want a missing values.yaml failure at the chart, got %+v", nv)
	}
	// valuesInline with valuesMerge: replace never reads values.yaml
	if src, n := appSource(rep, "inline"); src != "kustomize" || n != 2 {
		t.Errorf("inline: %s with %d resources, want kustomize with 2 (%+v)", src, n, appFindings(rep, "render/", "inline"))
	}
}

// TestArgoSingleSourceValuesRef (cause 10): in a single-source app
// `$values/...` is not a reference (getResolvedValueFiles only resolves refs
// for multi-source apps): $values substitutes to empty and the path is read
// from the repo root.
func TestArgoSingleSourceValuesRef(t *testing.T) {
	root := fidelityRepo(t, "", map[string]string{
		"values/web-prod.yaml":       "tier: prod\n",
		"clusters/lab/apps/web.yaml": argoApp("web", "argocd", "    path: charts/web\n    helm:\n      valueFiles:\n        - $values/values/web-prod.yaml\n"),
	})
	rendered, _, rep := renderAndCheck(t, root)
	mustContain(t, "web", rendered["lab/web.yaml"], "tier: prod")
	if fs := appFindings(rep, "render/", "web"); len(fs) != 0 {
		t.Errorf("findings %+v", fs)
	}
}

// TestArgoKustomizeVersion (cause 11): kustomize.version must be registered
// (argocd-cm kustomize.version.*; here render.kustomizeVersions), else
// Argo CD fails the app (settings.GetKustomizeBinaryPath).
func TestArgoKustomizeVersion(t *testing.T) {
	files := map[string]string{
		"kust/kustomization.yaml":   "resources:\n  - cm.yaml\n",
		"kust/cm.yaml":              okConfigMap,
		"clusters/lab/apps/kv.yaml": argoApp("kv", "argocd", "    path: kust\n    kustomize:\n      version: v4.5.7\n"),
	}
	_, code, rep := renderAndCheck(t, fidelityRepo(t, "", files))
	fs := appFindings(rep, "render/failed", "kv")
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "kustomize version v4.5.7 is not registered") || code != exitFindings {
		t.Errorf("unregistered: exit %d, findings %+v", code, rep.Findings)
	}
	_, code, rep = renderAndCheck(t, fidelityRepo(t, "render:\n  kustomizeVersions:\n    v4.5.7: /custom-tools/kustomize_4_5_7\n", files))
	if src, n := appSource(rep, "kv"); src != "kustomize" || n != 1 || len(appFindings(rep, "render/", "kv")) != 0 {
		t.Errorf("registered: %s with %d resources, findings %+v", src, n, rep.Findings)
	}
}

// TestArgoJsonnet (cause 12): .jsonnet files in directory sources are
// evaluated with go-jsonnet as makeJsonnetVM sets it up; imports never
// leave the repository.
func TestArgoJsonnet(t *testing.T) {
	t.Run("docs example", func(t *testing.T) {
		root, err := filepath.Abs("../../testdata/jsonnet")
		if err != nil {
			t.Fatal(err)
		}
		rendered, code, rep := renderAndCheck(t, root)
		if code != exitOK || len(rep.Findings) != 0 {
			t.Fatalf("exit %d, findings %+v", code, rep.Findings)
		}
		mustContain(t, "guestbook", rendered["lab/guestbook.yaml"], "kind: Service", "kind: Deployment",
			"name: guestbook-ui\n  namespace: guestbook", "# Source: apps/guestbook/guestbook-ui.jsonnet")
	})
	t.Run("options and containment", func(t *testing.T) {
		jsonnetDir := func(name, jsonnet, extra string) string {
			return argoApp(name, "team-a", "    path: js/"+name+"\n    directory:\n      jsonnet:\n"+extra)
		}
		root := fidelityRepo(t, "", map[string]string{
			"js/opts/main.jsonnet": "local lib = import 'naming.libsonnet';\nfunction(replicas, suffix)\n" +
				"  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: lib.name(std.extVar('app'), suffix) },\n" +
				"    data: { replicas: std.toString(replicas * 2), debug: std.toString(std.extVar('debug')) } }\n",
			"lib/naming.libsonnet":           "{ name(a, s):: std.strReplace(a, '_', '-') + '-' + s }\n",
			"clusters/lab/apps/opts.yaml":    jsonnetDir("opts", "", "        libs: [lib]\n        extVars:\n          - {name: app, value: $ARGOCD_APP_NAME}\n          - {name: debug, value: 'false', code: true}\n        tlas:\n          - {name: replicas, value: '3', code: true}\n          - {name: suffix, value: cfg}\n"),
			"js/escape/main.jsonnet":         "importstr '../../../../../../etc/hostname'\n",
			"clusters/lab/apps/escape.yaml":  jsonnetDir("escape", "", "        libs: []\n"),
			"js/badlib/main.jsonnet":         "{}\n",
			"clusters/lab/apps/badlib.yaml":  jsonnetDir("badlib", "", "        libs: ['../outside']\n"),
			"js/skipped/main.jsonnet":        "// +argocd:skip-file-rendering\nerror 'never evaluated'\n",
			"clusters/lab/apps/skipped.yaml": jsonnetDir("skipped", "", "        libs: []\n"),
		})
		rendered, _, rep := renderAndCheck(t, root)
		// ARGOCD_APP_NAME is the instance name team-a_opts (the app is outside argocd)
		mustContain(t, "opts", rendered["lab/opts.yaml"], "name: team-a-opts-cfg", `replicas: "6"`, `debug: "false"`, "# Source: js/opts/main.jsonnet")
		if fs := appFindings(rep, "render/", "opts"); len(fs) != 0 {
			t.Errorf("opts: %+v", fs)
		}
		for _, app := range []string{"escape", "badlib"} {
			fs := appFindings(rep, "render/failed", app)
			if len(fs) != 1 || !strings.Contains(fs[0].Message, "outside the repository") {
				t.Errorf("%s: want a containment failure, got %+v", app, fs)
			}
		}
		if src, n := appSource(rep, "skipped"); src != "directory" || n != 0 || len(appFindings(rep, "render/", "skipped")) != 0 {
			t.Errorf("skipped: %s %d %+v", src, n, appFindings(rep, "render/", "skipped"))
		}
	})
}
