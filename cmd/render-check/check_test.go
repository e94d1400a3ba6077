package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	helmregistry "helm.sh/helm/v3/pkg/registry"

	"github.com/render-check/render-check/internal/report"
)

// checkRepo writes files (relative path -> content) under a temp root.
func checkRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, files)
	return root
}

// checkJSON runs `check --format json --images off` and decodes the report.
func checkJSON(t *testing.T, root string, extra ...string) (int, *report.Report, string) {
	t.Helper()
	args := append([]string{"check", "--root", root, "--format", "json", "--images", "off"}, extra...)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	if code == exitError {
		return code, nil, errb.String()
	}
	var rep report.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("check output is not JSON (%v):\n%s\nstderr: %s", err, out.String(), errb.String())
	}
	return code, &rep, errb.String()
}

func findRule(rep *report.Report, rule, app string) *report.Finding {
	for i, f := range rep.Findings {
		if f.Rule == rule && (app == "" || f.App == app) {
			return &rep.Findings[i]
		}
	}
	return nil
}

const checkConfig = "repoURLs: [https://git.example.com/platform/config.git]\n"

// checkOwners keeps the repo check's CODEOWNERS rule quiet in these repos.
const checkOwners = "/clusters/ @example-org/platform\n"

func checkApp(name, body string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %s
  namespace: argocd
spec:
  project: default
%s  destination:
    server: https://kubernetes.default.svc
    namespace: %s
  syncPolicy:
    syncOptions:
      - CreateNamespace=true
`, name, body, name)
}

const okConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
`

// TestCheckExampleJSONContract checks the bundled example end to end: no
// findings, exit 0, and the JSON report shape of DESIGN.md.
func TestCheckExampleJSONContract(t *testing.T) {
	root, err := filepath.Abs("../../testdata/clusters")
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"check", "--root", root, "--format", "json", "--images", "off"}, strings.NewReader(""), &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out.String(), errb.String())
	}
	var raw map[string]any
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "clusters", "findings", "summary"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	if raw["version"] != float64(1) {
		t.Errorf("version = %v", raw["version"])
	}
	clusters := raw["clusters"].([]any)
	if len(clusters) != 3 {
		t.Fatalf("clusters = %d, want 3", len(clusters))
	}
	c0 := clusters[0].(map[string]any)
	if c0["name"] != "agritech-prod" || c0["kubernetesVersion"] != "1.34" {
		t.Errorf("first cluster = %v", c0)
	}
	app := c0["apps"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "source", "resources"} {
		if _, ok := app[k]; !ok {
			t.Errorf("app entry lacks %q: %v", k, app)
		}
	}
	sum := raw["summary"].(map[string]any)
	if sum["clusters"] != float64(3) || sum["apps"] != float64(16) || sum["errors"] != float64(0) || sum["resources"].(float64) < 30 {
		t.Errorf("summary = %v", sum)
	}
	if fs := raw["findings"].([]any); len(fs) != 0 {
		t.Errorf("example has findings: %v", fs)
	}
}

// TestCheckRenderFailures runs each failure through the public command and
// checks the finding points at the file (and line) to edit.
func TestCheckRenderFailures(t *testing.T) {
	src := func(path string, extra string) string {
		return "  source:\n    repoURL: https://git.example.com/platform/config.git\n    targetRevision: main\n    path: " + path + "\n" + extra
	}
	chart := map[string]string{
		"charts/web/Chart.yaml":          "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":         "mode: fast\n",
		"charts/web/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  mode: {{ .Values.mode | quote }}\n",
		"charts/bad/Chart.yaml":          "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
		"charts/bad/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ .Values.missing.deeper }}\n",
		"kust/broken/kustomization.yaml": "resources:\n  - does-not-exist.yaml\n",
		"manifests/ok/cm.yaml":           okConfigMap,
	}
	cases := []struct {
		name     string
		app      string
		rule     string
		severity report.Severity
		file     string
		line     bool
		exit     int
	}{
		{"broken chart", checkApp("broken-chart", src("charts/bad", "")), "render/failed", report.SeverityError, "charts/bad/templates/cm.yaml", true, exitFindings},
		// one finding, at the valueFiles entry of the Application (the render failure folded into it)
		{"missing values file", checkApp("missing-values", src("charts/web", "    helm:\n      valueFiles: [values-prod.yaml]\n")), "repo/app-sanity", report.SeverityError, "clusters/lab/apps/app.yaml", true, exitFindings},
		{"broken kustomization", checkApp("broken-kust", src("kust/broken", "")), "render/failed", report.SeverityError, "kust/broken/kustomization.yaml", true, exitFindings},
		{"malformed manifest", checkApp("malformed", src("manifests/bad", "")), "render/failed", report.SeverityError, "manifests/bad/cm.yaml", true, exitFindings},
		{"external repo", checkApp("external", "  source:\n    repoURL: https://github.com/elsewhere/manifests.git\n    path: deploy\n"), "render/external-source", report.SeverityWarning, "clusters/lab/apps/app.yaml", true, exitOK},
		{"plugin", checkApp("plugin", src("manifests/ok", "    plugin:\n      name: cmp\n")), "render/unsupported", report.SeverityWarning, "clusters/lab/apps/app.yaml", true, exitOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{".render-check.yaml": checkConfig, ".github/CODEOWNERS": checkOwners, "clusters/lab/apps/app.yaml": tc.app,
				// a healthy app next to the broken one: one broken app never stops the others
				"clusters/lab/apps/healthy.yaml": checkApp("healthy", src("manifests/ok", ""))}
			for k, v := range chart {
				files[k] = v
			}
			if tc.name == "malformed manifest" {
				files["manifests/bad/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  labels: {a: b\n"
			}
			code, rep, stderr := checkJSON(t, checkRepo(t, files))
			if rep == nil {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if code != tc.exit {
				t.Errorf("exit %d, want %d; findings %+v", code, tc.exit, rep.Findings)
			}
			f := findRule(rep, tc.rule, "")
			if f == nil {
				t.Fatalf("no %s finding in %+v", tc.rule, rep.Findings)
			}
			for _, other := range rep.Findings {
				if other.App == f.App && other.Rule != f.Rule && other.Severity == report.SeverityError {
					t.Errorf("a second finding for the same mistake: %+v", other)
				}
			}
			if f.Severity != tc.severity || f.File != tc.file || (tc.line && f.Line == 0) || f.Cluster != "lab" {
				t.Errorf("finding = %+v, want %s %s at %s (line: %v)", *f, tc.severity, tc.rule, tc.file, tc.line)
			}
			healthy := false
			for _, c := range rep.Clusters {
				for _, a := range c.Apps {
					if a.Name == "healthy" && a.Resources == 1 && a.Source == "directory" {
						healthy = true
					}
				}
			}
			if !healthy {
				t.Errorf("the healthy app was not rendered: %+v", rep.Clusters)
			}
		})
	}
}

// TestCheckMalformedApplicationFile: a cluster file that does not parse is a
// finding with its line; the run goes on.
func TestCheckMalformedApplicationFile(t *testing.T) {
	root := checkRepo(t, map[string]string{
		".render-check.yaml": checkConfig, ".github/CODEOWNERS": checkOwners,
		"clusters/lab/apps/bad.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: bad\nspec:\n  source: {repoURL: x\n",
	})
	code, rep, stderr := checkJSON(t, root)
	if rep == nil || code != exitFindings {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	f := findRule(rep, "render/malformed-yaml", "")
	if f == nil || f.File != "clusters/lab/apps/bad.yaml" || f.Line == 0 {
		t.Fatalf("findings = %+v", rep.Findings)
	}
}

// TestCheckFailOnWarning: warnings fail only with --fail-on warning.
func TestCheckFailOnWarning(t *testing.T) {
	root := checkRepo(t, map[string]string{
		".render-check.yaml": checkConfig, ".github/CODEOWNERS": checkOwners,
		"clusters/lab/apps/app.yaml": checkApp("external", "  source:\n    repoURL: https://github.com/elsewhere/manifests.git\n    path: deploy\n"),
	})
	if code, _, _ := checkJSON(t, root); code != exitOK {
		t.Errorf("--fail-on error: exit %d, want 0", code)
	}
	if code, _, _ := checkJSON(t, root, "--fail-on", "warning"); code != exitFindings {
		t.Errorf("--fail-on warning: exit %d, want 1", code)
	}
}

// TestCheckUnknownCluster exits 2.
func TestCheckUnknownCluster(t *testing.T) {
	root, _ := filepath.Abs("../../testdata/clusters")
	if code, _, stderr := checkJSON(t, root, "--cluster", "nope"); code != exitError || !strings.Contains(stderr, "nope") {
		t.Fatalf("exit %d, stderr %q; want 2 naming the cluster", code, stderr)
	}
}

// chartArchive builds a chart .tgz in memory.
func chartArchive(t *testing.T, name, version string, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	files["Chart.yaml"] = fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\n", name, version)
	for p, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name + "/" + p, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCheckRemoteChart renders an Application whose chart comes from a
// loopback HTTP chart repository, with values from the config repo.
func TestCheckRemoteChart(t *testing.T) {
	tgz := chartArchive(t, "redis-lite", "1.2.3", map[string]string{
		"values.yaml":           "image: docker.io/library/redis:7.4.1\nreplicas: 1\n",
		"templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: {app: redis}\n  template:\n    metadata:\n      labels: {app: redis}\n    spec:\n      containers:\n        - name: redis\n          image: {{ .Values.image }}\n",
	})
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  redis-lite:\n    - apiVersion: v2\n      name: redis-lite\n      version: 1.2.3\n      urls: [%s/redis-lite-1.2.3.tgz]\n      digest: \"\"\ngenerated: \"2026-01-01T00:00:00Z\"\n", srv.URL)
		case "/redis-lite-1.2.3.tgz":
			_, _ = w.Write(tgz)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cache := t.TempDir()
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS": checkOwners,
		".render-check.yaml": checkConfig + "render:\n  chartCacheDir: " + cache + "\n",
		"clusters/lab/apps/cache.yaml": checkApp("cache", `  sources:
    - repoURL: `+srv.URL+`
      chart: redis-lite
      targetRevision: 1.2.3
      helm:
        valueFiles:
          - $values/values/cache.yaml
    - repoURL: https://git.example.com/platform/config.git
      targetRevision: main
      ref: values
`),
		"values/cache.yaml": "replicas: 3\n",
	})
	code, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code != exitOK || len(rep.Findings) != 0 {
		t.Fatalf("exit %d, findings %+v", code, rep.Findings)
	}
	if len(rep.Clusters) != 1 || len(rep.Clusters[0].Apps) != 1 || rep.Clusters[0].Apps[0].Resources != 1 || rep.Clusters[0].Apps[0].Source != "multi" {
		t.Fatalf("clusters = %+v", rep.Clusters)
	}
}

// TestCheckRemoteOCIChart renders an Application whose chart is pulled from
// an in-process OCI registry.
func TestCheckRemoteOCIChart(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptWriter(io.Discard),
		helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	tgz := chartArchive(t, "queue", "0.4.0", map[string]string{
		"values.yaml":       "name: jobs\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Values.name }}\ndata:\n  chart: {{ .Chart.Version | quote }}\n",
	})
	if _, err := client.Push(tgz, host+"/charts/queue:0.4.0"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(t.TempDir(), "config.json"))
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS":           checkOwners,
		".render-check.yaml":           checkConfig + "render:\n  chartCacheDir: " + t.TempDir() + "\n",
		"clusters/lab/apps/queue.yaml": checkApp("queue", "  source:\n    repoURL: oci://"+host+"/charts\n    chart: queue\n    targetRevision: 0.4.0\n    helm:\n      parameters:\n        - name: name\n          value: emails\n"),
	})
	code, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code != exitOK || len(rep.Findings) != 0 {
		t.Fatalf("exit %d, findings %+v", code, rep.Findings)
	}
	if len(rep.Clusters) != 1 || len(rep.Clusters[0].Apps) != 1 || rep.Clusters[0].Apps[0].Resources != 1 || rep.Clusters[0].Apps[0].Source != "helm" {
		t.Fatalf("clusters = %+v", rep.Clusters)
	}
}
