package validate

import (
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func mustYAML(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// crdWith wraps a v1 CRD around the given openAPIV3Schema of spec.
func crdWith(specSchema string) string {
	indented := "                " + strings.ReplaceAll(strings.TrimSpace(specSchema), "\n", "\n                ")
	return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.test.io}
spec:
  group: test.io
  scope: Cluster
  names: {kind: Thing, plural: things}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
` + indented + "\n"
}

func TestConvertCRD(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		spec   string
		// wantErr lists substrings of the expected problems, none when empty.
		wantErr []string
	}{
		{"strict rejects unknown field", "type: object\nproperties:\n  a: {type: string}", "{a: x, b: y}", []string{`spec.b: unknown field "b"`}},
		{"object without properties is strict", "type: object", "{a: 1}", []string{`spec.a: unknown field "a"`}},
		{"preserve-unknown-fields", "type: object\nx-kubernetes-preserve-unknown-fields: true\nproperties:\n  a: {type: string}", "{a: x, b: {c: 1}}", nil},
		{"preserve-unknown-fields still types known fields", "type: object\nx-kubernetes-preserve-unknown-fields: true\nproperties:\n  a: {type: string}", "{a: 1}", []string{"spec.a: expected string, got number"}},
		{"nullable accepts null", "type: object\nproperties:\n  a: {type: string, nullable: true}", "{a: null}", nil},
		// the API server prunes a null of a field that is not nullable before validating
		{"null pruned for non-nullable field", "type: object\nproperties:\n  a: {type: string, minLength: 3}", "{a: null}", nil},
		{"null pruned for non-nullable object", "type: object\nproperties:\n  o: {type: object, properties: {x: {type: integer}}, required: [x]}", "{o: null}", nil},
		{"null pruned for non-nullable enum", "type: object\nproperties:\n  a: {type: string, enum: [x, y]}", "{a: null}", nil},
		{"null pruned in map values", "type: object\nadditionalProperties: {type: string}", "{a: null}", nil},
		{"null of a required field without default is rejected", "type: object\nproperties:\n  a: {type: string}\nrequired: [a]", "{a: null}", []string{"spec.a: expected string, got null"}},
		{"null of a required field with default is defaulted", "type: object\nproperties:\n  a: {type: string, default: x}\nrequired: [a]", "{a: null}", nil},
		{"null in a list is not pruned", "type: object\nproperties:\n  l: {type: array, items: {type: string}}", "{l: [a, null]}", []string{"spec.l[1]: expected string, got null"}},
		{"required field with default may be missing", "type: object\nproperties:\n  a: {type: string, default: x}\n  b: {type: string}\nrequired: [a, b]", "{b: bb}", nil},
		{"required field without default must be present", "type: object\nproperties:\n  a: {type: string, default: x}\n  b: {type: string}\nrequired: [a, b]", "{a: aa}", []string{`spec.b: missing required field "b"`}},
		{"int-or-string accepts int", "type: object\nproperties:\n  p: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}", "{p: 8080}", nil},
		{"int-or-string accepts string", "type: object\nproperties:\n  p: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}", "{p: http}", nil},
		{"int-or-string rejects bool", "type: object\nproperties:\n  p: {x-kubernetes-int-or-string: true}", "{p: true}", []string{"spec.p: expected integer or string, got boolean"}},
		{"embedded resource allows apiVersion kind metadata", "type: object\nproperties:\n  t:\n    type: object\n    x-kubernetes-embedded-resource: true\n    properties:\n      spec: {type: object, x-kubernetes-preserve-unknown-fields: true}",
			"{t: {apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {any: thing}}}", nil},
		{"embedded resource is strict", "type: object\nproperties:\n  t:\n    type: object\n    x-kubernetes-embedded-resource: true\n    properties:\n      spec: {type: object}",
			"{t: {apiVersion: v1, kind: Pod, status: {}}}", []string{`spec.t.status: unknown field "status"`}},
		{"embedded resource requires apiVersion and kind", "type: object\nproperties:\n  t:\n    type: object\n    x-kubernetes-embedded-resource: true\n    x-kubernetes-preserve-unknown-fields: true",
			"{t: {metadata: {name: x}, spec: {}}}", []string{`spec.t.apiVersion: missing required field "apiVersion"`, `spec.t.kind: missing required field "kind"`}},
		{"anyOf branches do not reject fields", "type: object\nproperties:\n  a: {type: string}\n  b: {type: string}\nanyOf:\n  - required: [a]\n  - required: [b]", "{b: x}", nil},
		{"anyOf still applies", "type: object\nproperties:\n  a: {type: string}\n  b: {type: string}\nanyOf:\n  - required: [a]\n  - required: [b]", "{}", []string{"spec: 'anyOf' failed"}},
		// formats and defaults are not applied inside branches: oneOf is judged as anyOf
		{"oneOf judged as anyOf", "type: object\nproperties:\n  type: {type: string, default: IP}\n  value: {type: string}\noneOf:\n  - properties: {type: {enum: [IP]}}\n  - properties: {type: {not: {enum: [IP]}}}", "{value: x}", nil},
		{"oneOf still needs a branch", "type: object\nproperties:\n  a: {type: string}\n  b: {type: string}\noneOf:\n  - required: [a]\n  - required: [b]", "{}", []string{"spec: 'anyOf' failed"}},
		{"branch does not require a defaulted field", "type: object\nproperties:\n  a: {type: string, default: x}\nanyOf:\n  - required: [a]", "{}", nil},
		{"not with only a format is dropped", "type: object\nproperties:\n  a: {type: string, not: {format: ipv4}}", "{a: x}", nil},
		{"map values typed", "type: object\nadditionalProperties: {type: integer}", "{a: 1, b: x}", []string{"spec.b: expected integer, got string"}},
		{"lookahead pattern dropped", "type: object\nproperties:\n  a: {type: string, pattern: '^(?!x).*$'}", "{a: xyz}", nil},
		{"go pattern kept", "type: object\nproperties:\n  a: {type: string, pattern: '^[a-z]+$'}", "{a: X1}", []string{"spec.a:"}},
		{"enum with nullable", "type: object\nproperties:\n  a: {type: string, enum: [x], nullable: true}", "{a: null}", nil},
		{"numeric bounds", "type: object\nproperties:\n  count: {type: integer, minimum: 1, maximum: 3}", "{count: 5}", []string{"spec.count: maximum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crds, err := ConvertCRD(mustYAML(t, crdWith(tt.schema)))
			if err != nil {
				t.Fatal(err)
			}
			if len(crds) != 1 || crds[0].APIVersion != "test.io/v1" || crds[0].Kind != "Thing" || crds[0].Namespaced {
				t.Fatalf("ConvertCRD = %+v", crds)
			}
			v, err := New(Options{KubernetesVersion: "1.34", Strict: true, CRDs: crds})
			if err != nil {
				t.Fatal(err)
			}
			obj := mustYAML(t, "apiVersion: test.io/v1\nkind: Thing\nmetadata: {name: a}\nspec: "+tt.spec)
			ps := v.Validate(obj)
			var got []string
			for _, p := range ps {
				got = append(got, problemMessage(p))
			}
			if len(got) != len(tt.wantErr) {
				t.Fatalf("problems = %q, want %q", got, tt.wantErr)
			}
			for i, w := range tt.wantErr {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestConvertCRDVersionsAndErrors(t *testing.T) {
	v1beta1 := mustYAML(t, `apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata: {name: olds.test.io}
spec:
  group: test.io
  version: v1
  names: {kind: Old}
  validation:
    openAPIV3Schema:
      properties:
        spec: {properties: {a: {type: string}}}
`)
	crds, err := ConvertCRD(v1beta1)
	if err != nil || len(crds) != 1 || crds[0].APIVersion != "test.io/v1" || !crds[0].Namespaced {
		t.Fatalf("v1beta1 CRD: %+v, %v", crds, err)
	}
	v, err := New(Options{Strict: true, CRDs: crds})
	if err != nil {
		t.Fatal(err)
	}
	ps := v.Validate(mustYAML(t, "apiVersion: test.io/v1\nkind: Old\nmetadata: {name: a, bogus: 1}\nspec: {a: x, b: y}"))
	if len(ps) != 2 || ps[0].Field != "metadata.bogus" || ps[1].Field != "spec.b" {
		t.Errorf("problems = %+v, want metadata.bogus (ObjectMeta) and spec.b", ps)
	}
	var crdErr *CRDError
	if _, err := ConvertCRD(mustYAML(t, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\nspec: {group: g}")); !asCRDError(err, &crdErr) {
		t.Errorf("missing kind: err = %v, want *CRDError", err)
	}
	// A version with served: false gets no schema.
	crds, err = ConvertCRD(mustYAML(t, "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\nspec: {group: g.io, names: {kind: K}, versions: [{name: v1, served: false}, {name: v2, served: true}]}"))
	if err != nil || len(crds) != 1 || crds[0].APIVersion != "g.io/v2" || crds[0].Schema != nil {
		t.Errorf("served filter: %+v %v", crds, err)
	}
}

func asCRDError(err error, target **CRDError) bool { return errors.As(err, target) }
