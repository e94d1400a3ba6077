package openapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestConvert(t *testing.T) {
	doc := `{
  "paths": {
    "/apis/demo.io/v1/namespaces/{namespace}/things": {"post": {"x-kubernetes-action": "post", "x-kubernetes-group-version-kind": {"group": "demo.io", "version": "v1", "kind": "Thing"}}},
    "/apis/demo.io/v1/things": {"get": {"x-kubernetes-action": "list", "x-kubernetes-group-version-kind": {"group": "demo.io", "version": "v1", "kind": "Thing"}}},
    "/apis/demo.io/v1/globals/{name}": {"put": {"x-kubernetes-action": "put", "x-kubernetes-group-version-kind": {"group": "demo.io", "version": "v1", "kind": "Global"}}}
  },
  "components": {"schemas": {
    "io.demo.v1.Thing": {
      "x-kubernetes-group-version-kind": [{"group": "demo.io", "version": "v1", "kind": "Thing"}],
      "type": "object", "required": ["spec"], "description": "dropped",
      "properties": {
        "spec": {"allOf": [{"$ref": "#/components/schemas/io.demo.v1.Spec"}], "default": {}},
        "port": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}]},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"a": {"type": "string"}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string", "default": ""}}
      }
    },
    "io.demo.v1.Global": {"x-kubernetes-group-version-kind": [{"group": "demo.io", "version": "v1", "kind": "Global"}], "type": "object"},
    "io.demo.v1.Spec": {"type": "object", "properties": {"n": {"type": "integer", "format": "int32"}, "self": {"$ref": "#/components/schemas/io.demo.v1.Spec"}}},
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]},
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions": {"x-kubernetes-group-version-kind": [{"group": "demo.io", "version": "v1", "kind": "DeleteOptions"}], "type": "object"},
    "io.demo.v1.Unused": {"type": "string"}
  }}
}`
	set, err := Convert(map[string][]byte{"apis__demo.io__v1_openapi.json": []byte(doc), "apis__demo.io_openapi.json": []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	tr, fa := true, false
	wantKinds := []Kind{
		{Group: "demo.io", Version: "v1", Kind: "Global", Definition: "io.demo.v1.Global", Namespaced: &fa},
		{Group: "demo.io", Version: "v1", Kind: "Thing", Definition: "io.demo.v1.Thing", Namespaced: &tr},
	}
	if !reflect.DeepEqual(set.Kinds, wantKinds) {
		g, _ := json.Marshal(set.Kinds)
		t.Errorf("kinds = %s", g)
	}
	got, _ := json.Marshal(set.Definitions)
	want := `{"io.demo.v1.Global":{"type":["object","null"]},` +
		`"io.demo.v1.Spec":{"additionalProperties":false,"properties":{"n":{"type":["integer","null"]},"self":{"$ref":"#/definitions/io.demo.v1.Spec"}},"type":["object","null"]},` +
		`"io.demo.v1.Thing":{"additionalProperties":false,"properties":{"free":{"properties":{"a":{"type":["string","null"]}},"type":["object","null"]},"labels":{"additionalProperties":{"type":"string"},"type":["object","null"]},"port":{"$ref":"#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},"spec":{"$ref":"#/definitions/io.demo.v1.Spec"}},"required":["spec"],"type":["object","null"]},` +
		`"io.k8s.apimachinery.pkg.util.intstr.IntOrString":{"type":["integer","string","null"]}}`
	if string(got) != want {
		t.Errorf("definitions:\n%s\nwant:\n%s", got, want)
	}
}
