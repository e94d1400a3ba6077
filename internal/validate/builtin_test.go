package validate

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	kcvalidator "github.com/yannh/kubeconform/pkg/validator"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/report"
)

func TestEveryEmbeddedSchemaCompiles(t *testing.T) {
	for _, minor := range kube.Versions() {
		// Non-strict schemas only differ by additionalProperties: compiling
		// one minor of them is enough.
		modes := []bool{true}
		if minor == kube.DefaultVersion() {
			modes = append(modes, false)
		}
		for _, strict := range modes {
			v, err := New(Options{KubernetesVersion: minor, Strict: strict})
			if err != nil {
				t.Fatal(err)
			}
			if len(v.builtin.Kinds) < 100 {
				t.Fatalf("%s: only %d kinds", minor, len(v.builtin.Kinds))
			}
			for key, k := range v.builtin.Kinds {
				s, err := v.compileBuiltin(k.Definition)
				if err != nil || s == nil {
					t.Errorf("%s %s: %v", minor, key, err)
				}
			}
		}
	}
}

func TestRemovedAndDeprecated(t *testing.T) {
	tests := []struct {
		minor, apiVersion, kind string
		rule, want              string
	}{
		{"1.30", "policy/v1beta1", "PodDisruptionBudget", report.RuleSchemaRemovedAPI, "removed in Kubernetes 1.25 (target 1.30); use policy/v1"},
		{"1.34", "autoscaling/v2beta2", "HorizontalPodAutoscaler", report.RuleSchemaRemovedAPI, "removed in Kubernetes 1.26 (target 1.34); use autoscaling/v2"},
		{"1.34", "extensions/v1beta1", "Deployment", report.RuleSchemaRemovedAPI, "removed in Kubernetes 1.16 (target 1.34); use apps/v1"},
		{"1.32", "flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", report.RuleSchemaRemovedAPI, "removed in Kubernetes 1.32 (target 1.32); use flowcontrol.apiserver.k8s.io/v1"},
		{"1.31", "flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", report.RuleSchemaDeprecatedAPI, "Kubernetes 1.32 no longer serves it; use flowcontrol.apiserver.k8s.io/v1"},
		{"1.36", "resource.k8s.io/v1beta1", "ResourceClaim", report.RuleSchemaDeprecatedAPI, "deprecated"},
		{"1.30", "resource.k8s.io/v1", "ResourceClaim", report.RuleSchemaMissing, "first served by Kubernetes 1.34"},
	}
	for _, tt := range tests {
		v, err := New(Options{KubernetesVersion: tt.minor, Strict: true})
		if err != nil {
			t.Fatal(err)
		}
		ps := v.Validate(map[string]any{"apiVersion": tt.apiVersion, "kind": tt.kind, "metadata": map[string]any{"name": "x"}})
		found := false
		for _, p := range ps {
			if p.Rule == tt.rule && strings.Contains(p.Message, tt.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s %s: problems %+v, want %s containing %q", tt.minor, tt.apiVersion, tt.kind, ps, tt.rule, tt.want)
		}
	}
}

// TestExportWithKubeconform checks that the upstream kubeconform validator
// reads the exported layout and gives the same verdicts.
func TestExportWithKubeconform(t *testing.T) {
	dir := t.TempDir()
	res, err := Export("1.34", dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.KubeconformVersion != "1.34.0" || len(res.Dirs) != 2 || res.Kinds < 100 {
		t.Fatalf("Export = %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "v1.34.0-standalone-strict", "deployment-apps-v1.json")); err != nil {
		t.Fatal(err)
	}
	kc, err := kcvalidator.New([]string{dir}, kcvalidator.Opts{KubernetesVersion: "1.34.0", Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want []kcvalidator.Status
	}{
		{"testdata/golden/manifests/valid.yaml", []kcvalidator.Status{kcvalidator.Valid, kcvalidator.Valid, kcvalidator.Valid, kcvalidator.Valid, kcvalidator.Valid, kcvalidator.Valid, kcvalidator.Valid}},
		{"testdata/golden/manifests/invalid.yaml", []kcvalidator.Status{kcvalidator.Invalid, kcvalidator.Invalid}},
	} {
		f, err := os.Open(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		results := kc.Validate(tc.file, io.NopCloser(f))
		f.Close()
		var got []kcvalidator.Status
		for _, r := range results {
			if r.Status == kcvalidator.Error {
				t.Errorf("%s: kubeconform error: %v", tc.file, r.Err)
			}
			got = append(got, r.Status)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: kubeconform statuses %v, want %v", tc.file, got, tc.want)
		}
	}
	if ExportFileName("networking.k8s.io/v1", "Ingress") != "ingress-networking-v1.json" || ExportFileName("v1", "Pod") != "pod-v1.json" {
		t.Error("ExportFileName")
	}
	// the CRD catalog is exported too: kubeconform judges catalogued kinds
	if res.CatalogKinds < 60 {
		t.Errorf("CatalogKinds = %d", res.CatalogKinds)
	}
	crs := []byte(certificate + "---\n" + strings.Replace(certificate, "secretName:", "secretNam:", 1))
	var got []kcvalidator.Status
	for _, r := range kc.Validate("certs.yaml", io.NopCloser(bytes.NewReader(crs))) {
		if r.Status == kcvalidator.Error {
			t.Errorf("kubeconform error on a catalogued kind: %v", r.Err)
		}
		got = append(got, r.Status)
	}
	if !slices.Equal(got, []kcvalidator.Status{kcvalidator.Valid, kcvalidator.Invalid}) {
		t.Errorf("kubeconform on exported catalog schemas: %v", got)
	}
}
