package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/registry/registrytest"
)

// exampleCopy copies testdata/clusters (the bundled example repo) into a
// temp dir, so a test can make one mistake in it.
func exampleCopy(t *testing.T) string {
	t.Helper()
	src := filepath.Join(repoRoot(t), "testdata", "clusters")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit replaces old by new in one file of root (old must be there).
func edit(t *testing.T, root, file, old, new string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(file))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ghAnnotation is one parsed workflow-command annotation.
type ghAnnotation struct {
	level, file, title, message string
	line                        int
}

var annotationProps = regexp.MustCompile(`^::(\w+) (.*?)::(.*)$`)

func parseAnnotations(t *testing.T, log string) []ghAnnotation {
	t.Helper()
	var out []ghAnnotation
	for _, a := range annotations(log) {
		m := annotationProps.FindStringSubmatch(a)
		if m == nil {
			t.Fatalf("annotation without properties: %s", a)
		}
		an := ghAnnotation{level: m[1], message: m[3]}
		for _, kv := range strings.Split(m[2], ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "file":
				an.file = v
			case "line":
				an.line, _ = strconv.Atoi(v)
			case "title":
				an.title = strings.ReplaceAll(v, "%2C", ",")
			}
		}
		out = append(out, an)
	}
	return out
}

// checkGitHub runs `check --format github --images off` on root.
func checkGitHub(t *testing.T, root string, extra ...string) (int, []ghAnnotation, string) {
	t.Helper()
	args := append([]string{"check", "--root", root, "--format", "github", "--images", "off"}, extra...)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, parseAnnotations(t, out.String()), out.String() + errb.String()
}

// TestNewUserMistakes makes one common mistake at a time in the example
// repo and checks that exactly one finding points at the line to edit.
func TestNewUserMistakes(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	type want struct {
		level, file string
		line        int
		title, msg  string
	}
	for _, tc := range []struct {
		name   string
		break_ func(t *testing.T, root string)
		want   want
	}{
		{
			name: "typo in a values file path",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/agritech-prod/apps/telemetry-ingest.yaml", "values/telemetry-ingest.yaml", "values/telemetry-ingst.yaml")
			},
			want: want{"error", "clusters/agritech-prod/apps/telemetry-ingest.yaml", 14, "(agritech-prod/telemetry-ingest)",
				`did you mean "/clusters/agritech-prod/values/telemetry-ingest.yaml"?`},
		},
		{
			name: "typo in an Application's chart path",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/erp-saas-prod/apps/tenant-portal.yaml", "path: _base/charts/web-service", "path: _base/charts/web-servce")
			},
			want: want{"error", "clusters/erp-saas-prod/apps/tenant-portal.yaml", 11, "(erp-saas-prod/tenant-portal)",
				`did you mean "_base/charts/web-service"?`},
		},
		{
			name: "missing app-of-apps child",
			break_: func(t *testing.T, root string) {
				writeFiles(t, root, map[string]string{"clusters/erp-saas-prod/apps/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - root.yaml\n  - billing.yaml\n  - erp-db.yaml\n  - tenant-portal.yml\n"})
			},
			want: want{"error", "clusters/erp-saas-prod/apps/kustomization.yaml", 7, "render/failed (erp-saas-prod/erp-root)",
				`resources entry "tenant-portal.yml" does not exist; did you mean "tenant-portal.yaml"?`},
		},
		{
			name: "indentation error in a kustomization",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/erp-saas-prod/overlays/erp-db/kustomization.yaml", "\n  - pdb.yaml", "\n   - pdb.yaml")
			},
			want: want{"error", "clusters/erp-saas-prod/overlays/erp-db/kustomization.yaml", 4, "render/failed (erp-saas-prod/erp-db)",
				"the next line is indented deeper than this list"},
		},
		{
			name: "missing base",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/distrib-prod/overlays/warehouse/kustomization.yaml", "_base/kustomize/worker", "_base/kustomize/workr")
			},
			want: want{"error", "clusters/distrib-prod/overlays/warehouse/kustomization.yaml", 5, "render/failed (distrib-prod/warehouse)",
				`did you mean "../../../../_base/kustomize/worker"?`},
		},
		{
			name: "misspelled patch file",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/agritech-prod/overlays/field-sensors-api/kustomization.yaml", "path: deployment-patch.yaml", "path: deployment-patch.yml")
			},
			want: want{"error", "clusters/agritech-prod/overlays/field-sensors-api/kustomization.yaml", 8, "render/failed (agritech-prod/field-sensors-api)",
				`patches entry "deployment-patch.yml" does not exist; did you mean "deployment-patch.yaml"?`},
		},
		{
			name: "misspelled kustomization field",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/erp-saas-prod/overlays/erp-db/kustomization.yaml", "resources:", "resource:")
			},
			want: want{"error", "clusters/erp-saas-prod/overlays/erp-db/kustomization.yaml", 3, "render/failed (erp-saas-prod/erp-db)",
				`unknown field "resource"; did you mean "resources"?`},
		},
		{
			name: "duplicate resource in a kustomization",
			break_: func(t *testing.T, root string) {
				pdb, err := os.ReadFile(filepath.Join(root, "clusters/erp-saas-prod/overlays/erp-db/pdb.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				writeFiles(t, root, map[string]string{"clusters/erp-saas-prod/overlays/erp-db/pdb2.yaml": string(pdb)})
				edit(t, root, "clusters/erp-saas-prod/overlays/erp-db/kustomization.yaml", "  - pdb.yaml\n", "  - pdb.yaml\n  - pdb2.yaml\n")
			},
			want: want{"error", "clusters/erp-saas-prod/overlays/erp-db/kustomization.yaml", 6, "render/failed (erp-saas-prod/erp-db)",
				`resources entry "pdb2.yaml" adds PodDisruptionBudget postgres, which an earlier entry already added`},
		},
		{
			name: "YAML syntax error in a values file",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/erp-saas-prod/values/billing.yaml", "  CURRENCY_DEFAULT: EUR\n", "  CURRENCY_DEFAULT: EUR\n    X: y\n")
			},
			want: want{"error", "clusters/erp-saas-prod/values/billing.yaml", 8, "render/malformed-yaml (erp-saas-prod/billing)",
				"malformed YAML"},
		},
		{
			name: "wrong value type in a cluster's values file",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/erp-saas-prod/values/tenant-portal.yaml", "containerPort: 3000\n", "containerPort: 3000\nreplicaCount: three\n")
			},
			want: want{"error", "clusters/erp-saas-prod/values/tenant-portal.yaml", 5, "schema/invalid (erp-saas-prod/tenant-portal)",
				"spec.replicas: expected integer, got string (value of replicaCount, used by _base/charts/web-service/templates/deployment.yaml:9)"},
		},
		{
			name: "value rejected by the chart's values.schema.json",
			break_: func(t *testing.T, root string) {
				writeFiles(t, root, map[string]string{"_base/charts/web-service/values.schema.json": `{"type": "object", "properties": {"replicaCount": {"type": "integer"}}}`})
				edit(t, root, "clusters/erp-saas-prod/values/tenant-portal.yaml", "containerPort: 3000\n", "containerPort: 3000\nreplicaCount: three\n")
			},
			want: want{"error", "clusters/erp-saas-prod/values/tenant-portal.yaml", 5, "render/failed (erp-saas-prod/tenant-portal)",
				"replicaCount: got string, want integer (the chart's values.schema.json)"},
		},
		{
			name: "unknown field in a base shared by two clusters",
			break_: func(t *testing.T, root string) {
				edit(t, root, "_base/kustomize/api-service/deployment.yaml", "  replicas: 2", "  replica: 2")
			},
			want: want{"error", "_base/kustomize/api-service/deployment.yaml", 8, "schema/invalid (agritech-prod/field-sensors-api, distrib-prod/warehouse)",
				`spec.replica: unknown field "replica"`},
		},
		{
			name: "misspelled template function in a chart four apps use",
			break_: func(t *testing.T, root string) {
				edit(t, root, "_base/charts/web-service/templates/deployment.yaml", "{{ .Values.replicaCount }}", "{{ .Values.replicaCount | quot }}")
			},
			want: want{"error", "_base/charts/web-service/templates/deployment.yaml", 9,
				"render/failed (agritech-prod/telemetry-ingest, distrib-prod/route-planner, erp-saas-prod/billing, erp-saas-prod/tenant-portal)",
				`function "quot" not defined; did you mean "quote"?`},
		},
		{
			// the base is right: the patch is the edit
			name: "beta apiVersion in an overlay's patch",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/agritech-prod/overlays/field-sensors-api/deployment-patch.yaml", "apiVersion: apps/v1\n", "apiVersion: apps/v1beta2\n")
			},
			want: want{"error", "clusters/agritech-prod/overlays/field-sensors-api/deployment-patch.yaml", 1, "render/failed (agritech-prod/field-sensors-api)",
				`it is apps/v1 in _base/kustomize/api-service/deployment.yaml:1; did you mean "apps/v1"?`},
		},
		{
			// a patch in one cluster no longer matches, the other renders
			// an unknown kind: one finding at the kind line
			name: "misspelt kind in a base shared by two clusters",
			break_: func(t *testing.T, root string) {
				edit(t, root, "_base/kustomize/api-service/deployment.yaml", "kind: Deployment\n", "kind: Deploymnet\n")
			},
			want: want{"error", "_base/kustomize/api-service/deployment.yaml", 2, "render/failed (agritech-prod/field-sensors-api, distrib-prod/warehouse)",
				`kind "Deploymnet" of api-service: the patch for apps/v1 Deployment api-service matches no resource; did you mean "Deployment"?`},
		},
		{
			// the Application's kustomize.replicas names it
			name: "misspelt kind of an object the Application scales",
			break_: func(t *testing.T, root string) {
				edit(t, root, "_base/kustomize/worker/deployment.yaml", "kind: Deployment\n", "kind: Deploymnet\n")
			},
			want: want{"error", "_base/kustomize/worker/deployment.yaml", 2, "render/failed (distrib-prod/warehouse)",
				`kind "Deploymnet" of worker is not a kind replicas can scale; did you mean "Deployment"?`},
		},
		{
			name: "misspelt repoURL of this repository",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/distrib-prod/apps/warehouse.yaml", "example-org/config.git", "example-org/confg.git")
			},
			want: want{"warning", "clusters/distrib-prod/apps/warehouse.yaml", 9, "render/external-source (distrib-prod/warehouse)",
				`did you mean "https://github.com/example-org/config.git" (this repository)?`},
		},
		{
			// Argo CD drops unknown fields of its CRDs: the project would be
			// "default"'s by accident, not by the file
			name: "misspelt spec field of an Application",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/erp-saas-prod/apps/tenant-portal.yaml", "  project: default", "  projet: default")
			},
			want: want{"error", "clusters/erp-saas-prod/apps/tenant-portal.yaml", 7, "schema/invalid",
				`spec.projet: unknown field "projet", which Argo CD ignores; did you mean "project"?`},
		},
		{
			name: "misspelt helm field of an Application",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/erp-saas-prod/apps/tenant-portal.yaml", "valueFiles:", "valueFile:")
			},
			want: want{"error", "clusters/erp-saas-prod/apps/tenant-portal.yaml", 13, "schema/invalid",
				`spec.source.helm.valueFile: unknown field "valueFile", which Argo CD ignores; did you mean "valueFiles"?`},
		},
		{
			// the root app-of-apps renders its own file: still one finding
			name: "misspelt syncPolicy field of a root app-of-apps",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/erp-saas-prod/apps/root.yaml", "    automated:", "    automatd:")
			},
			want: want{"error", "clusters/erp-saas-prod/apps/root.yaml", 20, "schema/invalid",
				`spec.syncPolicy.automatd: unknown field "automatd", which Argo CD ignores; did you mean "automated"?`},
		},
		{
			name: "misspelt field in an ApplicationSet's template",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/agritech-prod/apps/appsets.yaml", "        targetRevision: main", "        targetRevison: main")
			},
			want: want{"error", "clusters/agritech-prod/apps/appsets.yaml", 27, "schema/invalid",
				`spec.template.spec.source.targetRevison: unknown field "targetRevison", which Argo CD ignores; did you mean "targetRevision"?`},
		},
		{
			// one cluster's overlay patches the Deployment (the patch no
			// longer matches), the other's renders a removed API: one edit
			name: "removed apiVersion in a base shared by two clusters",
			break_: func(t *testing.T, root string) {
				edit(t, root, "_base/kustomize/api-service/deployment.yaml", "apiVersion: apps/v1\n", "apiVersion: apps/v1beta1\n")
			},
			want: want{"error", "_base/kustomize/api-service/deployment.yaml", 1, "schema/removed-api (agritech-prod/field-sensors-api, distrib-prod/warehouse)",
				"apps/v1beta1 Deployment was removed in Kubernetes 1.16"},
		},
		{
			name: "changed apiVersion in a base an overlay patches",
			break_: func(t *testing.T, root string) {
				edit(t, root, "clusters/distrib-prod/overlays/warehouse/kustomization.yaml", "  - ../../../../_base/kustomize/api-service\n", "")
				edit(t, root, "_base/kustomize/api-service/deployment.yaml", "apiVersion: apps/v1\n", "apiVersion: apps/v1beta2\n")
			},
			want: want{"error", "_base/kustomize/api-service/deployment.yaml", 1, "render/failed (agritech-prod/field-sensors-api)",
				"Deployment api-service is apps/v1beta2 here, so the patch for apps/v1 Deployment api-service matches no resource"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := exampleCopy(t)
			tc.break_(t, root)
			code, got, log := checkGitHub(t, root)
			wantCode := exitFindings
			if tc.want.level == "warning" {
				wantCode = exitOK
			}
			if code != wantCode {
				t.Errorf("exit code %d, want %d", code, wantCode)
			}
			if len(got) != 1 {
				t.Fatalf("%d annotations, want 1 (one finding per mistake):\n%s", len(got), log)
			}
			a, w := got[0], tc.want
			if a.level != w.level || a.file != w.file || a.line != w.line || !strings.Contains(a.title, w.title) || !strings.Contains(a.message, w.msg) {
				t.Errorf("got %s %s:%d %q %q\nwant %s %s:%d title containing %q, message containing %q", a.level, a.file, a.line, a.title, a.message, w.level, w.file, w.line, w.title, w.msg)
			}
		})
	}
}

// TestMistakeImageTagInHelmChartsValues: a wrong tag in the values file of
// a kustomize helmCharts chart is reported at that values file's tag line,
// not at the Application.
func TestMistakeImageTagInHelmChartsValues(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registrytest.Start(t, registrytest.Options{})
	reg.Push(t, reg.Ref("example-org/route-planner", ":0.14.1"), registrytest.RandomImage(t, "linux/amd64"))
	root := exampleCopy(t)
	cfg, err := os.ReadFile(filepath.Join(root, ".render-check.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, root, map[string]string{".render-check.yaml": string(cfg) + fmt.Sprintf(
		"images:\n  insecure: [%q]\n  skip: [\"ghcr.io/**\", \"index.docker.io/**\"]\n", reg.Host)})
	edit(t, root, "clusters/distrib-prod/overlays/route-planner/values.yaml",
		"  repository: ghcr.io/example-org/route-planner\n  tag: 0.14.1\n",
		"  repository: "+reg.Host+"/example-org/route-planner\n  tag: 0.14.9\n")
	code, all, log := checkGitHub(t, root, "--images", "verify")
	var got []ghAnnotation // images of other registries are unreachable here
	for _, a := range all {
		if strings.Contains(a.title, "route-planner") {
			got = append(got, a)
		}
	}
	if code != exitFindings || len(got) != 1 {
		t.Fatalf("exit %d, %d annotations for route-planner, want 1:\n%s", code, len(got), log)
	}
	a := got[0]
	if a.file != "clusters/distrib-prod/overlays/route-planner/values.yaml" || a.line != 3 || !strings.Contains(a.title, "image/tag-not-found (distrib-prod/route-planner)") {
		t.Errorf("got %s:%d %q %q, want the tag line of the chart's values file", a.file, a.line, a.title, a.message)
	}
}

// TestMistakeUnusedValuesKey: a misspelled key in a cluster's values file
// (the chart never reads it) is one warning at that key, with the key the
// chart does read; the clean example repo has none.
func TestMistakeUnusedValuesKey(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	root := exampleCopy(t)
	if code, got, log := checkGitHub(t, root); code != exitOK || len(got) != 0 {
		t.Fatalf("clean example: exit %d, %d annotations:\n%s", code, len(got), log)
	}
	edit(t, root, "clusters/erp-saas-prod/values/tenant-portal.yaml", "containerPort: 3000\n", "containerPort: 3000\nreplicaCont: 5\n")
	code, got, log := checkGitHub(t, root)
	if code != exitOK || len(got) != 1 {
		t.Fatalf("exit %d, %d annotations, want one warning:\n%s", code, len(got), log)
	}
	a := got[0]
	if a.level != "warning" || a.file != "clusters/erp-saas-prod/values/tenant-portal.yaml" || a.line != 5 ||
		!strings.Contains(a.title, "render/unused-value (erp-saas-prod/tenant-portal)") || !strings.Contains(a.message, `did you mean "replicaCount"?`) {
		t.Errorf("got %+v", a)
	}
}

// TestMistakeAppFieldsWarmAndCatalog: without the repo's own (loose)
// Application CRD, the app-of-apps child is validated against Argo CD's CRD
// of the catalog too, which also sees the misspelt keys; each is still one
// finding, on a cold run and on a warm one (verdicts read from the cache).
func TestMistakeAppFieldsWarmAndCatalog(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	root := exampleCopy(t)
	if err := os.Remove(filepath.Join(root, "_base/argocd/application-crd.yaml")); err != nil {
		t.Fatal(err)
	}
	edit(t, root, "clusters/erp-saas-prod/apps/tenant-portal.yaml", "  project: default", "  projet: default")
	edit(t, root, "clusters/erp-saas-prod/apps/tenant-portal.yaml", "valueFiles:", "valueFile:")
	cache := t.TempDir()
	for _, run := range []string{"cold", "warm"} {
		code, got, log := checkGitHub(t, root, "--cache-dir", cache)
		if code != exitFindings || len(got) != 2 {
			t.Fatalf("%s: exit %d, %d annotations, want 2:\n%s", run, code, len(got), log)
		}
		for i, w := range []struct {
			line int
			msg  string
		}{{7, `did you mean "project"?`}, {13, `did you mean "valueFiles"?`}} {
			if a := got[i]; a.file != "clusters/erp-saas-prod/apps/tenant-portal.yaml" || a.line != w.line || !strings.Contains(a.message, w.msg) ||
				!strings.Contains(a.message, "argo-cd/v3@") {
				t.Errorf("%s: got %s:%d %q, want line %d with %q", run, a.file, a.line, a.message, w.line, w.msg)
			}
		}
	}
}
