package secrets

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

func renderedScan(t *testing.T, files map[string]string, clusters []*resource.Cluster) *Result {
	t.Helper()
	res, err := Scan(context.Background(), Options{Root: writeTree(t, files), Clusters: clusters})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func secretObj(name string, data map[string]any) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": name, "namespace": "app"}, "data": data}
}

func TestRenderedOutput(t *testing.T) {
	files := map[string]string{
		// a neutral key name: only the rendered Secret reveals the leak
		"clusters/a/values/db.yaml":          "replicas: 1\ndatabase:\n  conn: " + secretDBPass + "\n",
		"_base/charts/db/values.yaml":        "database:\n  conn: \"\"\n",
		"_base/charts/db/Chart.yaml":         "name: db\nversion: 1.0.0\n",
		"_base/charts/db/templates/s.yaml":   "apiVersion: v1\nkind: Secret\ndata:\n  pw: {{ .Values.database.conn | b64enc }}\n",
		"apps/plain/secret.yaml":             "apiVersion: v1\nkind: Secret\nmetadata:\n  name: p\nstringData:\n  token: " + secretToken + "\n",
		"apps/kust/kustomization.yaml":       "resources: [cm.yaml]\n",
		"apps/kust/cm.yaml":                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  LOG: info\n  MODE: x\n",
		"clusters/a/values/inline-only.yaml": "x: 1\n",
	}
	helmSecret := &resource.Resource{
		Object:      secretObj("db", map[string]any{"pw": b64(secretDBPass)}),
		Origin:      resource.Origin{File: "_base/charts/db/templates/s.yaml"},
		ValuesFiles: []string{"_base/charts/db/values.yaml", "clusters/a/values/db.yaml"},
	}
	templated := &resource.Resource{
		Object:      secretObj("tpl", map[string]any{"k": b64(secretHelm)}),
		Origin:      resource.Origin{File: "_base/charts/db/templates/s.yaml"},
		ValuesFiles: []string{"clusters/a/values/inline-only.yaml"},
	}
	plain := &resource.Resource{
		Object: map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "p"}, "stringData": map[string]any{"token": secretToken}},
		Origin: resource.Origin{File: "apps/plain/secret.yaml", Line: 1},
	}
	patched := &resource.Resource{
		Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm"},
			"data": map[string]any{"LOG": "info", "MODE": "x", "SMTP_PASSWORD": secretConfig}},
		Origin: resource.Origin{File: "apps/kust/cm.yaml", Line: 1},
	}
	clusters := []*resource.Cluster{
		{Name: "a", Apps: []*resource.App{
			{Name: "db", Resources: []*resource.Resource{helmSecret, templated}},
			{Name: "plain", Resources: []*resource.Resource{plain}},
			{Name: "kust", Resources: []*resource.Resource{patched}},
		}},
		{Name: "b", Apps: []*resource.App{{Name: "db", Resources: []*resource.Resource{helmSecret}}}},
	}
	res := renderedScan(t, files, clusters)
	got := brief(res.Findings)
	want := []string{
		"secret/credential-value apps/kust/cm.yaml:5",              // added by a patch: the deepest key the source has
		"secret/plaintext-secret _base/charts/db/templates/s.yaml", // not from a values file: the template
		"secret/plaintext-secret apps/plain/secret.yaml:6",         // the source scan, not repeated for the rendered copy
		"secret/plaintext-secret clusters/a/values/db.yaml:3",      // the values key that supplied it, once for both clusters
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
		for _, f := range res.Findings {
			t.Logf("  %s/%s %s: %s %s", f.Cluster, f.App, f.Location(), f.Rule, f.Message)
		}
	}
	for _, f := range res.Findings {
		if f.File == "clusters/a/values/db.yaml" && (!strings.Contains(f.Message, "database.conn") || f.Resource == nil || f.Resource.Name != "db") {
			t.Errorf("values finding does not name the key and resource: %+v", f)
		}
		if f.File == "apps/kust/cm.yaml" && f.Cluster != "a" {
			t.Errorf("rendered finding lacks its cluster: %+v", f)
		}
		assertNoSecrets(t, "finding", f.Message)
	}
}

// TestNoSecretInAnyFormat writes the findings of the whole corpus (source
// files, SOPS files and rendered output) in every output format and checks
// that no secret value, or its base64 form, appears in any of them.
func TestNoSecretInAnyFormat(t *testing.T) {
	var all []report.Finding
	for _, tc := range ruleCases {
		res := scanTree(t, tc.files, Options{Config: tc.cfg})
		all = append(all, res.Findings...)
	}
	if len(all) < 20 {
		t.Fatalf("corpus produced only %d findings", len(all))
	}
	rep := &report.Report{Findings: all, Clusters: []report.Cluster{{Name: "a", KubernetesVersion: "1.34"}}}
	rep.Finalize()
	formats := report.Formats()
	for _, need := range []string{"text", "json"} {
		found := false
		for _, f := range formats {
			found = found || f == need
		}
		if !found {
			t.Fatalf("format %s missing from %v", need, formats)
		}
	}
	for _, f := range formats {
		for _, color := range []bool{false, true} {
			var buf bytes.Buffer
			w, err := report.New(&buf, f, report.Options{Color: color})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(rep); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if buf.Len() == 0 {
				t.Errorf("%s wrote nothing", f)
			}
			assertNoSecrets(t, "format "+f, buf.String())
		}
	}
	bp := filepath.Join(t.TempDir(), "b.json")
	if err := NewBaseline(all).Write(bp); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bp)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, "baseline", string(data))
}

// TestRenderedEqualObjectsLocatedEach renders one ConfigMap, equal in
// content, into two clusters from two different source files: the object is
// scanned once, yet each copy is located at its own file and line.
func TestRenderedEqualObjectsLocatedEach(t *testing.T) {
	files := map[string]string{
		"clusters/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  LOG: info\n",
		"clusters/b/cm.yaml": "# b\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  LOG: info\n",
	}
	obj := func() map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "cm"},
			"data": map[string]any{"LOG": "info", "SMTP_PASSWORD": secretConfig}}
	}
	clusters := []*resource.Cluster{
		{Name: "a", Apps: []*resource.App{{Name: "web", Resources: []*resource.Resource{{Object: obj(), Origin: resource.Origin{File: "clusters/a/cm.yaml", Line: 1}}}}}},
		{Name: "b", Apps: []*resource.App{{Name: "web", Resources: []*resource.Resource{{Object: obj(), Origin: resource.Origin{File: "clusters/b/cm.yaml", Line: 2}}}}}},
	}
	res := renderedScan(t, files, clusters)
	got := brief(res.Findings)
	want := []string{"secret/credential-value clusters/a/cm.yaml:5", "secret/credential-value clusters/b/cm.yaml:6"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
	for _, f := range res.Findings {
		if f.Cluster != strings.Split(f.File, "/")[1] {
			t.Errorf("finding of %s names cluster %s", f.File, f.Cluster)
		}
		assertNoSecrets(t, "finding", f.Message)
	}
}
