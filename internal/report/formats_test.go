package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// sampleReport is a report with every shape of finding the writers must
// handle: with and without file, line, resource, cluster and app; every
// severity; characters that are special in XML, Markdown, workflow commands.
func sampleReport() *Report {
	r := &Report{
		Clusters: []Cluster{
			{Name: "distrib-prod", KubernetesVersion: "1.33", Apps: []App{
				{Name: "warehouse", Source: "helm", Resources: 4},
				{Name: "edge", Source: "kustomize", Resources: 3},
			}},
			{Name: "agritech-prod", KubernetesVersion: "1.34", Apps: []App{
				{Name: "telemetry-ingest", Source: "helm", Resources: 2},
			}},
		},
		Findings: []Finding{
			{Rule: "image/tag-not-found", Severity: SeverityError, Cluster: "distrib-prod", App: "warehouse",
				File: "clusters/distrib-prod/apps/warehouse.yaml", Line: 19,
				Resource: &ResourceRef{APIVersion: "apps/v1", Kind: "StatefulSet", Namespace: "distrib", Name: "warehouse"},
				Message:  "registry.example/distrib/warehouse:0.9.0: tag not found"},
			{Rule: "schema/invalid", Severity: SeverityError, Cluster: "distrib-prod", App: "edge",
				File: "_base/edge/deployment.yaml", Line: 7,
				Resource: &ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "edge", Name: "edge"},
				Message:  "spec.replicas: expected integer, got string \"two\" | <b>not html</b> & 100% sure: a,b"},
			{Rule: "schema/deprecated-api", Severity: SeverityWarning, Cluster: "distrib-prod", App: "edge",
				File: "_base/edge/pdb.yaml", Line: 1,
				Resource: &ResourceRef{APIVersion: "policy/v1beta1", Kind: "PodDisruptionBudget", Namespace: "edge", Name: "edge"},
				Message:  "policy/v1beta1 PodDisruptionBudget is removed in 1.25\n::error::injected"},
			{Rule: "secret/plaintext-secret", Severity: SeverityError,
				File: "clusters/agritech-prod/values/db.yaml", Line: 3,
				Message: "Secret db-credentials key password is committed in plaintext", Fingerprint: "sha256:1a2b3c4d"},
			{Rule: "render/failed", Severity: SeverityError, Cluster: "agritech-prod", App: "broken",
				File:    "clusters/agritech-prod/apps/broken.yaml",
				Message: "helm template: chart \"broken\" not found in _base/charts"},
			{Rule: "repo/app-sanity", Severity: SeverityInfo, Cluster: "agritech-prod",
				Message: "cluster has no root Application; using clusters/agritech-prod/apps"},
		},
		Skipped: []string{"image: --images off for agritech-prod"},
	}
	r.Finalize()
	return r
}

func render(t *testing.T, format string, r *Report, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(&buf, format, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(r); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

var goldenOptions = Options{PathPrefix: "config", FailOn: SeverityError, ToolVersion: "v0.0.0-test"}

// TestGolden compares every registered format with its golden file.
func TestGolden(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			got := render(t, format, sampleReport(), goldenOptions)
			path := filepath.Join("testdata", "golden", format+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("no golden file for format %s (run go test -update): %v", format, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s output differs from %s (run go test -update if intended)\n--- got\n%s", format, path, got)
			}
			// deterministic: a second run over an equal report prints the same bytes
			if again := render(t, format, sampleReport(), goldenOptions); !bytes.Equal(got, again) {
				t.Errorf("%s output is not deterministic", format)
			}
		})
	}
}

// TestEmptyReport writes a report with nothing in it in every format.
func TestEmptyReport(t *testing.T) {
	r := &Report{}
	r.Finalize()
	for _, format := range Formats() {
		if out := render(t, format, r, Options{}); len(out) == 0 {
			t.Errorf("%s: empty output for an empty report", format)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "xml", Options{}); err == nil || !strings.Contains(err.Error(), "sarif") {
		t.Fatalf("want an error naming the known formats, got %v", err)
	}
	for _, f := range []string{"text", "json", "sarif", "junit", "codequality", "github", "summary"} {
		if !IsFormat(f) {
			t.Errorf("format %s is not registered", f)
		}
	}
}

func TestFingerprintIgnoresLine(t *testing.T) {
	f := sampleReport().Findings[0]
	g := f
	g.Line += 10
	if FingerprintOf(f) != FingerprintOf(g) {
		t.Error("fingerprint changed with the line")
	}
	for _, change := range []func(*Finding){
		func(x *Finding) { x.Cluster = "other" },
		func(x *Finding) { x.App = "other" },
		func(x *Finding) { x.File = "other.yaml" },
		func(x *Finding) { x.Rule = "image/other" },
		func(x *Finding) { x.Message = "other" },
		func(x *Finding) { x.Resource = &ResourceRef{Kind: "Pod", Name: "x"} },
		func(x *Finding) { x.Fingerprint = "sha256:ffff" },
	} {
		h := f
		change(&h)
		if FingerprintOf(f) == FingerprintOf(h) {
			t.Errorf("fingerprint did not change for %+v", h)
		}
	}
}
