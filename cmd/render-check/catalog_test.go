package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestCheckCatalogCustomResources: custom resources whose CRDs the repo does
// not carry are validated against the embedded catalog (no schema/missing),
// a wrong field is reported at its source line, kinds without any schema
// give one schema/missing per kind, and validate.missingSchema tunes it.
func TestCheckCatalogCustomResources(t *testing.T) {
	files := map[string]string{
		".render-check.yaml":           checkConfig,
		"CODEOWNERS":                   checkOwners,
		"clusters/prod/apps/ops.yaml":  checkApp("ops", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: apps/ops\n"),
		"clusters/prod/apps/ops2.yaml": checkApp("ops2", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: apps/ops2\n"),
		"apps/ops/subscription.yaml": `apiVersion: operators.coreos.com/v1alpha1
kind: Subscription
metadata:
  name: gitops
  namespace: openshift-operators
spec:
  channel: latest
  name: openshift-gitops-operator
  source: redhat-operators
  sourceNamespace: openshift-marketplace
`,
		"apps/ops/monitor.yaml": `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  endpoints:
    - port: http
      intervall: 30s
`,
		"apps/ops/widgets.yaml": "apiVersion: example.org/v1\nkind: Widget\nmetadata: {name: a}\n---\napiVersion: example.org/v1\nkind: Widget\nmetadata: {name: b}\n",
		"apps/ops2/widget.yaml": "apiVersion: example.org/v1\nkind: Widget\nmetadata: {name: c}\n",
		"apps/ops2/rollout.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: null
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
  strategy:
    canary:
      steps:
        - setWeight: 20
        - pause: {duration: 1h}
status:
  phase: Healthy
`,
	}
	root := checkRepo(t, files)
	code, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var missing, invalid []string
	for _, f := range rep.Findings {
		switch f.Rule {
		case "schema/missing":
			missing = append(missing, f.File+": "+f.Message)
		case "schema/invalid":
			invalid = append(invalid, f.File+":"+itoa(f.Line)+" "+f.Message)
		}
	}
	if len(invalid) != 1 || !strings.HasPrefix(invalid[0], `apps/ops/monitor.yaml:10 spec.endpoints[0].intervall: unknown field "intervall"`) ||
		!strings.Contains(invalid[0], "embedded catalog: github.com/prometheus-operator/prometheus-operator@v0.85.0") {
		t.Errorf("schema/invalid = %q, want the planted field at its line, judged by the catalog", invalid)
	}
	if len(missing) != 1 || !strings.HasPrefix(missing[0], "apps/ops/widgets.yaml: Widget (3 resources in 2 apps): no schema for example.org/v1 Widget") ||
		!strings.Contains(missing[0], "also at apps/ops/widgets.yaml:5, apps/ops2/widget.yaml:1") {
		t.Errorf("schema/missing = %q, want one grouped finding for Widget only", missing)
	}
	if code != exitFindings {
		t.Errorf("exit %d", code)
	}

	files[".render-check.yaml"] = checkConfig + "validate:\n  missingSchema: {Widget.example.org: warning}\n"
	root = checkRepo(t, files)
	_, rep, stderr = checkJSON(t, root)
	if rep == nil {
		t.Fatal(stderr)
	}
	f := findRule(rep, "schema/missing", "")
	if f == nil || f.Severity != "warning" {
		t.Errorf("missingSchema warning: %+v", f)
	}

	files[".render-check.yaml"] = checkConfig + "validate:\n  missingSchema: {example.org: fatal}\n"
	root = checkRepo(t, files)
	if code, _, stderr := checkJSON(t, root); code != exitError || !strings.Contains(stderr, "missingSchema") {
		t.Errorf("bad missingSchema action: exit %d, %s", code, stderr)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCheckLocalChartCRDs: a CRD shipped in a local chart's crds/ validates
// custom resources even when the app skips installing it (skipCrds), ahead of
// the embedded catalog.
func TestCheckLocalChartCRDs(t *testing.T) {
	root := checkRepo(t, map[string]string{
		".render-check.yaml": checkConfig,
		"CODEOWNERS":         checkOwners,
		"clusters/prod/apps/gadgets.yaml": checkApp("gadgets", "  source:\n    repoURL: https://git.example.com/platform/config.git\n"+
			"    path: charts/gadgets\n    helm:\n      skipCrds: true\n"),
		"charts/gadgets/Chart.yaml": "apiVersion: v2\nname: gadgets\nversion: 1.0.0\n",
		"charts/gadgets/crds/gadget.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.org}
spec:
  group: example.org
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
`,
		"charts/gadgets/templates/gadget.yaml": "apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  size: 1\n  colour: red\n",
	})
	_, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatal(stderr)
	}
	f := findRule(rep, "schema/invalid", "gadgets")
	if f == nil || f.File != "charts/gadgets/templates/gadget.yaml" || !strings.HasPrefix(f.Message, `spec.colour: unknown field "colour"`) {
		t.Fatalf("finding = %+v, want spec.colour judged by the chart's CRD", f)
	}
	if m := findRule(rep, "schema/missing", ""); m != nil {
		t.Errorf("unexpected %+v", m)
	}
}

// TestSchemasCatalogAndExport: `schemas catalog` lists each catalogued kind
// with its source module and file; `schemas export` writes the catalog in
// kubeconform's layout.
func TestSchemasCatalogAndExport(t *testing.T) {
	r := runValidateCmd(t, "", "schemas", "catalog")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"operators.coreos.com/v1alpha1",
		"Subscription",
		"github.com/operator-framework/api@v0.31.0",
		"crds/operators.coreos.com_subscriptions.yaml",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("schemas catalog lacks %q:\n%s", want, r.stdout)
		}
	}
	scoped := false
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) == 5 && f[0] == "cert-manager.io/v1" && f[1] == "ClusterIssuer" {
			scoped = f[2] == "Cluster"
		}
	}
	if !scoped {
		t.Errorf("ClusterIssuer is not listed as cluster-scoped:\n%s", r.stdout)
	}
	dir := t.TempDir()
	r = runValidateCmd(t, "", "schemas", "export", "--kube-version", "1.34", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "custom resource schemas (CRD catalog)") {
		t.Fatalf("export: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"subscription-operators-v1alpha1.json", "servicemonitor-monitoring-v1.json", "rollout-argoproj-v1alpha1.json"} {
		if _, err := os.Stat(filepath.Join(dir, "v1.34.0-standalone-strict", f)); err != nil {
			t.Error(err)
		}
	}
}

// TestCheckRemoteChartCRDs: a remote chart rendered with skipCrds: true
// (its crds/ not in the output) still supplies its CRDs as a schema
// source, read from the chart already pulled to render, its subchart's
// too: no schema/missing for the kinds, a planted unknown field is caught
// and the finding names the chart's CRD file. With the chart not fetched
// (network off), nothing is fetched for its CRDs either.
func TestCheckRemoteChartCRDs(t *testing.T) {
	clearCIEnv(t)
	crd := func(kind string) string {
		return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ` + strings.ToLower(kind) + `s.example.org}
spec:
  group: example.org
  scope: Namespaced
  names: {kind: ` + kind + `, plural: ` + strings.ToLower(kind) + `s}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
`
	}
	tgz := chartArchive(t, "gadgets", "1.0.0", map[string]string{
		"values.yaml":                         "{}\n",
		"crds/gadget.yaml":                    crd("Gadget"),
		"charts/parts/Chart.yaml":             "apiVersion: v2\nname: parts\nversion: 0.1.0\n",
		"charts/parts/crds/part.yaml":         crd("Part"),
		"templates/gadget.yaml":               "apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  size: 1\n  colour: red\n",
		"charts/parts/templates/part.yaml":    "apiVersion: example.org/v1\nkind: Part\nmetadata:\n  name: p\nspec:\n  size: 2\n",
		"templates/widget-without-crd.yaml":   "apiVersion: example.org/v1\nkind: Widget\nmetadata:\n  name: w\n",
		"charts/parts/templates/_helpers.tpl": "",
	})
	var requests atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch r.URL.Path {
		case "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  gadgets:\n    - apiVersion: v2\n      name: gadgets\n      version: 1.0.0\n      urls: [%s/gadgets-1.0.0.tgz]\n      digest: \"\"\n", srv.URL)
		case "/gadgets-1.0.0.tgz":
			_, _ = w.Write(tgz)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS": checkOwners,
		".render-check.yaml": checkConfig + "render:\n  chartCacheDir: " + t.TempDir() + "\n  kustomizeBuildOptions: --enable-helm\n",
		"clusters/lab/apps/gadgets.yaml": checkApp("gadgets", "  source:\n    repoURL: "+srv.URL+"\n    chart: gadgets\n    targetRevision: 1.0.0\n"+
			"    helm:\n      skipCrds: true\n"),
		// kustomize's helmCharts leaves crds/ out unless includeCRDs: true
		"clusters/lab/apps/kgadgets.yaml": checkApp("kgadgets", "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: kgadgets\n"),
		"kgadgets/kustomization.yaml":     "helmCharts:\n  - name: gadgets\n    repo: " + srv.URL + "\n    version: 1.0.0\n    releaseName: k\n",
	})
	_, rep, stderr := checkJSON(t, root, "--trusted")
	if rep == nil {
		t.Fatal(stderr)
	}
	f := findRule(rep, "schema/invalid", "gadgets")
	if f == nil || !strings.HasPrefix(f.Message, `spec.colour: unknown field "colour"`) || !strings.Contains(f.Message, "chart crds gadgets/crds/gadget.yaml") {
		t.Errorf("finding = %+v, want spec.colour judged by the chart's CRD, named", f)
	}
	if k := findRule(rep, "schema/invalid", "kgadgets"); k == nil || !strings.Contains(k.Message, "chart crds gadgets/crds/gadget.yaml") {
		t.Errorf("kustomize helmCharts: finding = %+v, want spec.colour judged by the chart's CRD; all %+v", k, rep.Findings)
	}
	var missing []string
	for _, m := range rep.Findings {
		if m.Rule == "schema/missing" {
			missing = append(missing, m.Message)
		}
	}
	if len(missing) != 1 || !strings.Contains(missing[0], "Widget") {
		t.Errorf("schema/missing = %q, want only Widget (Gadget and the subchart's Part have CRDs in the chart)", missing)
	}
	// not fetched: nothing is fetched for the CRDs either
	requests.Store(0)
	_, rep, stderr = checkJSON(t, root, "--untrusted")
	if rep == nil {
		t.Fatal(stderr)
	}
	if requests.Load() != 0 || findRule(rep, "render/remote-refused", "gadgets") == nil {
		t.Errorf("untrusted run: %d requests, findings %+v", requests.Load(), rep.Findings)
	}
}

// TestCheckCatalogVendoredKinds: the catalog kinds vendored from GitHub at
// pinned commits (OpenShift's Route, ConsolePlugin and MachineConfig from
// openshift/api, IstioOperator from istio/istio) are validated in a cluster
// of the bundled example: valid ones pass, and an invalid field is
// schema/invalid at its line, judged by the vendored CRD (never
// schema/missing). IstioOperator's CRD keeps unknown fields everywhere, so
// only its metadata can be wrong.
func TestCheckCatalogVendoredKinds(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join("..", "..", "testdata", "clusters"))); err != nil {
		t.Fatal(err)
	}
	dir := "clusters/agritech-prod/manifests/openshift/"
	writeFiles(t, root, map[string]string{
		"clusters/agritech-prod/apps/openshift.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: openshift
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/example-org/config.git
    targetRevision: main
    path: clusters/agritech-prod/manifests/openshift
  destination:
    server: https://kubernetes.default.svc
    namespace: web
`,
		dir + "route.yaml": `apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: web
spec:
  host: web.apps.example.com
  to:
    kind: Service
    name: web
    weight: 100
  port:
    targetPort: http
  tls:
    termination: edge
    insecureEdgeTerminationPolicy: Redirect
---
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: web-bad
spec:
  host: bad.apps.example.com
  to:
    kind: Service
    name: web
  tsl:
    termination: edge
`,
		dir + "consoleplugin.yaml": `apiVersion: console.openshift.io/v1
kind: ConsolePlugin
metadata:
  name: web-plugin
spec:
  displayName: Web plugin
  backend:
    type: Service
    service:
      name: web-plugin
      namespace: web
      port: 9443
      basePath: /
  i18n:
    loadType: Preload
---
apiVersion: console.openshift.io/v1
kind: ConsolePlugin
metadata:
  name: web-plugin-bad
spec:
  displayName: Web plugin
  backend:
    type: Service
    service:
      name: web-plugin
      namespace: web
      port: https
`,
		dir + "machineconfig.yaml": `apiVersion: machineconfiguration.openshift.io/v1
kind: MachineConfig
metadata:
  name: 99-worker-chrony
  labels:
    machineconfiguration.openshift.io/role: worker
spec:
  config:
    ignition:
      version: 3.2.0
    storage:
      files:
        - path: /etc/chrony.conf
          mode: 420
          contents:
            source: data:,pool%20time.example.com
---
apiVersion: machineconfiguration.openshift.io/v1
kind: MachineConfig
metadata:
  name: 99-worker-fips
  labels:
    machineconfiguration.openshift.io/role: worker
spec:
  fips: "yes"
`,
		dir + "istiooperator.yaml": `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata:
  name: control-plane
  namespace: istio-system
spec:
  profile: minimal
  meshConfig:
    accessLogFile: /dev/stdout
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata:
  name: control-plane-bad
  namespace: istio-system
  labels:
    tier: 1
spec:
  profile: minimal
`,
	})
	_, rep, stderr := checkJSON(t, root, "--cluster", "agritech-prod")
	if rep == nil {
		t.Fatal(stderr)
	}
	const openshift = "embedded catalog: github.com/openshift/api@2a3d73913b5a7caec4c57d5c3d04f51106ec4da3 "
	want := map[string]string{
		dir + "route.yaml:26":         `spec.tsl: unknown field "tsl"`,
		dir + "consoleplugin.yaml:28": "spec.backend.service.port: ",
		dir + "machineconfig.yaml:25": "spec.fips: ",
		dir + "istiooperator.yaml:17": "metadata.labels.tier: ",
	}
	source := map[string]string{
		dir + "route.yaml:26":         openshift + "route/v1/zz_generated.crd-manifests/routes.crd.yaml",
		dir + "consoleplugin.yaml:28": openshift + "console/v1/zz_generated.crd-manifests/90_consoleplugins.crd.yaml",
		dir + "machineconfig.yaml:25": openshift + "machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_machineconfigs.crd.yaml",
		dir + "istiooperator.yaml:17": "embedded catalog: github.com/istio/istio@6a112a28410654328342c68f82da48920e34f062 manifests/charts/istio-operator/crds/crd-operator.yaml",
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		at := f.File + ":" + itoa(f.Line)
		switch {
		case f.Rule == "schema/invalid" && want[at] != "":
			got[at] = true
			if !strings.HasPrefix(f.Message, want[at]) || !strings.Contains(f.Message, source[at]) {
				t.Errorf("%s: %q, want %q judged by %s", at, f.Message, want[at], source[at])
			}
		case strings.HasPrefix(f.Rule, "schema/"):
			t.Errorf("unexpected %s at %s: %s", f.Rule, at, f.Message)
		}
	}
	for at := range want {
		if !got[at] {
			t.Errorf("no schema/invalid at %s; findings %+v", at, rep.Findings)
		}
	}
}
