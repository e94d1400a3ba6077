package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kcFixtures are kubeconform's own fixtures (copied from its Go module).
const kcFixtures = "../../internal/validate/testdata/kubeconform/"

type validateRun struct {
	code           int
	stdout, stderr string
}

func runValidateCmd(t *testing.T, stdin string, args ...string) validateRun {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return validateRun{code: code, stdout: out.String(), stderr: errb.String()}
}

func jsonSummary(t *testing.T, out string) (resources, errors int) {
	t.Helper()
	var rep struct {
		Summary struct{ Resources, Errors int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON report: %v\n%s", err, out)
	}
	return rep.Summary.Resources, rep.Summary.Errors
}

// TestValidateKubeconformAcceptance runs kubeconform's fixtures through
// `render-check validate --strict` and expects the verdicts (and resource
// counts) of kubeconform's acceptance.bats.
func TestValidateKubeconformAcceptance(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		stdin     string
		code      int
		resources int // -1: not checked
		contains  string
	}{
		{"valid", []string{"valid.yaml"}, "", 0, 1, ""},
		{"folder", []string{"folder"}, "", 0, 7, ""},
		{"int or string", []string{"int_or_string.yaml"}, "", 0, 1, ""},
		{"json", []string{"valid.json"}, "", 0, 1, ""},
		{"generate name", []string{"generate_name.yaml"}, "", 0, 1, ""},
		{"quantity", []string{"quantity.yaml"}, "", 0, 1, ""},
		{"null string", []string{"null_string.yaml"}, "", 0, 1, ""},
		{"multi valid", []string{"multi_valid.yaml"}, "", 0, 6, ""},
		{"multi invalid", []string{"multi_invalid.yaml"}, "", 1, -1, ""},
		{"invalid", []string{"invalid.yaml"}, "", 1, -1, ""},
		{"blank", []string{"blank.yaml"}, "", 0, 0, ""},
		{"comment", []string{"comment.yaml"}, "", 0, 0, ""},
		{"missing kind", []string{"missing_kind.yaml"}, "", 1, -1, "missing 'kind' key"},
		{"missing apiVersion", []string{"missing_apiversion.yaml"}, "", 1, -1, "missing 'apiVersion' key"},
		{"missing kind value", []string{"missing_kind_value.yaml"}, "", 1, -1, "missing 'kind' key"},
		{"CRD without schema", []string{"test_crd.yaml"}, "", 1, -1, "schema/missing"},
		{"CRD with local registry", []string{"--schema-location", kcFixtures + "registry/{{ .ResourceKind }}{{ .KindSuffix }}.json", "test_crd.yaml"}, "", 0, 1, ""},
		{"CRD with several registries", []string{"--schema-location", kcFixtures + "{{ .ResourceKind }}.json", "--schema-location", kcFixtures + "registry/{{ .ResourceKind }}{{ .KindSuffix }}.json", "test_crd.yaml"}, "", 0, 1, ""},
		{"extra property strict", []string{"extra_property.yaml"}, "", 1, -1, `unknown field \"replicas\"`},
		{"extra property not strict", []string{"--strict=false", "extra_property.yaml"}, "", 0, 1, ""},
		{"duplicate property strict", []string{"duplicate_property.yaml"}, "", 1, -1, "duplicate key"},
		{"duplicate property not strict", []string{"--strict=false", "duplicate_property.yaml"}, "", 0, 1, ""},
		{"bad schema location template", []string{"--schema-location", "foo {{ .Foo }}", "valid.yaml"}, "", 2, -1, ""},
		{"stdin valid", []string{"-"}, "@valid.yaml", 0, 1, ""},
		{"stdin invalid", []string{"-"}, "@invalid.yaml", 1, -1, ""},
		{"skip kind", []string{"--skip-kinds", "ReplicationController", "invalid.yaml"}, "", 0, 1, ""},
		{"skip apiVersion/kind", []string{"--skip-kinds", "v1/ReplicationController", "invalid.yaml"}, "", 0, 1, ""},
		{"skip other version", []string{"--skip-kinds", "v2/ReplicationController", "invalid.yaml"}, "", 1, -1, ""},
		{"list valid", []string{"list_valid.yaml"}, "", 0, 6, ""},
		{"list valid stdin", []string{"-"}, "@list_valid.yaml", 0, 6, ""},
		{"list invalid", []string{"list_invalid.yaml"}, "", 1, -1, ""},
		{"list empty", []string{"list_empty_valid.yaml"}, "", 0, 0, ""},
		{"multi with list", []string{"multi_with_list.yaml"}, "", 0, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"validate", "--strict", "--format", "json"}
			for _, a := range tt.args {
				if !strings.Contains(a, "{{") && (strings.HasSuffix(a, ".yaml") || strings.HasSuffix(a, ".json") || a == "folder") {
					a = kcFixtures + a
				}
				args = append(args, a)
			}
			// --strict=false must win over the --strict set above.
			stdin := tt.stdin
			if name, ok := strings.CutPrefix(stdin, "@"); ok {
				data, err := os.ReadFile(kcFixtures + name)
				if err != nil {
					t.Fatal(err)
				}
				stdin = string(data)
			}
			r := runValidateCmd(t, stdin, args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.code == 2 {
				return
			}
			res, _ := jsonSummary(t, r.stdout)
			if tt.resources >= 0 && res != tt.resources {
				t.Errorf("resources = %d, want %d", res, tt.resources)
			}
			if !strings.Contains(r.stdout, tt.contains) {
				t.Errorf("output lacks %q:\n%s", tt.contains, r.stdout)
			}
		})
	}
}

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	manifest := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostnameOverride: x\n  containers:\n    - name: a\n      image: nginx\n      resource: {}\n"
	path := filepath.Join(dir, "pod.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	// Text output names the file, the field's line and the field path.
	r := runValidateCmd(t, "", "validate", "--kube-version", "1.30", path)
	if r.code != 1 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"pod.yaml:6", "spec.hostnameOverride", "pod.yaml:10", "spec.containers[0].resource"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	// hostnameOverride exists in newer minors.
	r = runValidateCmd(t, "", "validate", "--kube-version", "v1.37.1", "--format", "json", path)
	if r.code != 1 || strings.Contains(r.stdout, "hostnameOverride") || !strings.Contains(r.stdout, "resource") {
		t.Errorf("1.37: exit %d\n%s", r.code, r.stdout)
	}
	// Bad input: exit 2.
	for _, args := range [][]string{
		{"validate", filepath.Join(dir, "missing.yaml")},
		{"validate", "--kube-version", "1.12", path},
		{"validate", "--format", "nope", path},
		{"validate"},
	} {
		if r := runValidateCmd(t, "", args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, r.code, r.stderr)
		}
	}
	// --crds supplies a CRD.
	crd := "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ts.t.io}\nspec:\n  group: t.io\n  scope: Namespaced\n  names: {kind: T, plural: ts}\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {a: {type: integer}}}}}\n"
	crdDir := filepath.Join(dir, "crds")
	if err := os.MkdirAll(crdDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(crdDir, "t.yaml"), []byte(crd), 0o644); err != nil {
		t.Fatal(err)
	}
	cr := "apiVersion: t.io/v1\nkind: T\nmetadata: {name: x}\nspec: {a: 1}\n"
	if r := runValidateCmd(t, cr, "validate", "-"); r.code != 1 || !strings.Contains(r.stdout, "schema/missing") {
		t.Errorf("without --crds: exit %d %s", r.code, r.stdout)
	}
	if r := runValidateCmd(t, cr, "validate", "--crds", crdDir, "-"); r.code != 0 {
		t.Errorf("with --crds: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestSchemasExport(t *testing.T) {
	dir := t.TempDir()
	r := runValidateCmd(t, "", "schemas", "export", "--kube-version", "1.33", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "-kubernetes-version 1.33.0") {
		t.Errorf("output: %s", r.stdout)
	}
	data, err := os.ReadFile(filepath.Join(dir, "v1.33.0-standalone-strict", "deployment-apps-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil || schema["$schema"] != "http://json-schema.org/draft-04/schema#" {
		t.Errorf("exported schema: %v %v", err, schema["$schema"])
	}
	if r := runValidateCmd(t, "", "schemas", "export", "--kube-version", "9.9", dir); r.code != 2 {
		t.Errorf("unknown version: exit %d", r.code)
	}
}

// TestValidateHonoursConfig: `validate` applies the config's
// validate.missingSchema policy and validate.catalog, from --config or
// ./.render-check.yaml, and a bad policy is a usage error.
func TestValidateHonoursConfig(t *testing.T) {
	clearCIEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"m/widget.yaml":  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1}\n",
		"m/monitor.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\nspec:\n  selector: {matchLabels: {app: web}}\n  endpoints: [{port: http}]\n",
		"warn.yaml":      "validate:\n  missingSchema: {Widget.example.com: warning}\n",
		"nocatalog.yaml": "validate:\n  missingSchema: {Widget: ignore}\n  catalog: false\n",
		"bad.yaml":       "validate:\n  missingSchema: {Widget: shrug}\n",
	})
	m := filepath.Join(dir, "m")
	missing := func(r validateRun) map[string]string { // kind -> severity of schema/missing
		t.Helper()
		var rep struct {
			Findings []struct{ Rule, Severity, Message string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("exit %d, bad JSON (%v): %s %s", r.code, err, r.stdout, r.stderr)
		}
		out := map[string]string{}
		for _, f := range rep.Findings {
			for _, kind := range []string{"Widget", "ServiceMonitor"} {
				if f.Rule == "schema/missing" && strings.Contains(f.Message, " "+kind+" ") {
					out[kind] = f.Severity
				}
			}
		}
		return out
	}
	r := runValidateCmd(t, "", "validate", "--format", "json", m)
	if got := missing(r); r.code != exitFindings || got["Widget"] != "error" || got["ServiceMonitor"] != "" {
		t.Errorf("no config: exit %d, schema/missing %v", r.code, got)
	}
	r = runValidateCmd(t, "", "validate", "--format", "json", "--config", filepath.Join(dir, "warn.yaml"), m)
	if got := missing(r); r.code != exitOK || got["Widget"] != "warning" {
		t.Errorf("--config warn.yaml: exit %d, schema/missing %v", r.code, got)
	}
	// ./.render-check.yaml of the working directory, catalog off
	writeFiles(t, dir, map[string]string{".render-check.yaml": readFile(t, filepath.Join(dir, "nocatalog.yaml"))})
	t.Chdir(dir)
	r = runValidateCmd(t, "", "validate", "--format", "json", "m")
	if got := missing(r); r.code != exitFindings || got["Widget"] != "" || got["ServiceMonitor"] != "error" {
		t.Errorf("./.render-check.yaml: exit %d, schema/missing %v", r.code, got)
	}
	r = runValidateCmd(t, "", "validate", "--config", "bad.yaml", "m")
	if r.code != exitError || !strings.Contains(r.stderr, "shrug") {
		t.Errorf("bad policy: exit %d: %s", r.code, r.stderr)
	}
}
