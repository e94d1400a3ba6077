package render

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/render-check/render-check/internal/workspace"
)

// TestKustomizeObjectsMatchYAML: the objects decoded straight from
// kustomize's JSON equal those parsed from the YAML `kustomize build`
// prints, for scalars whose YAML form is ambiguous (YAML 1.1 booleans,
// octal and hex, timestamps, big and exponent numbers, multi-line and
// quoted strings) in values and keys; objects whose YAML must be bounds
// checked (a '{' or '[' in a string) take the YAML path.
func TestKustomizeObjectsMatchYAML(t *testing.T) {
	cm := ambiguousConfigMap()
	fsys := filesys.MakeFsInMemory()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fsys.WriteFile("/app/kustomization.yaml", []byte("resources: [cm.yaml, deploy.yaml]\nbuildMetadata: [originAnnotations]\nnamePrefix: p-\ncommonLabels: {app: x}\n")))
	must(fsys.WriteFile("/app/cm.yaml", []byte(cm)))
	must(fsys.WriteFile("/app/deploy.yaml", []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: c, image: \"i:1\", args: [\"--x=1\", \"2\"]}]\n")))
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, "/app")
	must(err)
	out, err := resMap.AsYaml()
	must(err)
	want, err := workspace.ParseDocuments("x", out)
	must(err)
	got, ok := kustomizeObjects(resMap, 64<<20)
	if !ok {
		t.Fatal("the JSON path declined plain objects")
	}
	if len(got) != len(want) {
		t.Fatalf("%d objects, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Object, want[i].Object) {
			for _, f := range []string{"extra", "keys"} {
				g, _ := got[i].Object[f].(map[string]any)
				w, _ := want[i].Object[f].(map[string]any)
				for k := range w {
					if !reflect.DeepEqual(g[k], w[k]) {
						t.Errorf("object %d %s.%s: %#v, want %#v", i, f, k, g[k], w[k])
					}
				}
				if len(g) != len(w) {
					t.Errorf("object %d %s: keys %v, want %v", i, f, reflect.ValueOf(g).MapKeys(), reflect.ValueOf(w).MapKeys())
				}
			}
			t.Errorf("object %d differs:\n got %#v\nwant %#v", i, got[i].Object, want[i].Object)
		}
	}
	if _, ok := kustomizeObjects(resMap, len(out)/4); ok {
		t.Error("the JSON path took objects near the rendered-bytes limit")
	}

	for _, v := range []string{`"{\"json\": true}"`, `"[x"`} {
		must(fsys.WriteFile("/app/cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: "+v+"}\n")))
		resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, "/app")
		must(err)
		if _, ok := kustomizeObjects(resMap, 64<<20); ok {
			t.Errorf("data %s: the JSON path took a string with a flow bracket", v)
		}
	}
}

// ambiguousConfigMap is a ConfigMap whose scalars and keys have ambiguous
// YAML forms, and a 30-deep list.
func ambiguousConfigMap() string {
	scalars := []string{`"0o17"`, `0o17`, `"0x1F"`, `0x1F`, `"1_000"`, `1_000`, `"on"`, `on`, `yes`, `"yes"`, `"y"`, `y`, `n`, `"2001-12-14"`, `2001-12-14`,
		`2001-12-14t21:59:43.10-05:00`, `"1e3"`, `1e3`, `1.0`, `1.5`, `-0`, `-0.0`, `"null"`, `~`, `null`, `""`, `12345678901234567890`,
		`123456789012345678901234`, `0.1`, `3.0e-5`, `100000000000000000000`, `"a\nb"`, `"a\n b\n"`, `" leading"`, `"trailing "`, `"a\r\nb"`,
		`"tab\there"`, `"  \n  x"`, `"x\n\n\n"`, `"\u00e9\u2028\u0001"`, `"#not comment"`, `"key: value"`, `"- item"`, `"*alias"`, `"&anchor"`,
		`"!tag"`, `"%dir"`, `"@at"`, "\"`bt\"", `"|"`, `">"`, `!!binary aGVsbG8=`, `!!str 123`, `!!int "42"`, `!!float 1`, `0777`, `07`, `+12`,
		`1:20`, `1:20:30`, `0b1010`, `=`, `"<"`, `Yes`, `TRUE`, `False`, `OFF`, `9007199254740993`, `1.7976931348623157e308`, `5e-324`, `"x]"`, `"}"`,
		`"` + strings.Repeat("long words ", 30) + `"`, `"a  b   c"`, `[]`, `{}`, `[1, 2.5, "3", true, null, {a: 1}]`}
	keys := []string{`"1"`, `"true"`, `"on"`, `"y"`, `"null"`, `"~"`, `"0o17"`, `"1e3"`, `"2001-12-14"`, `"-"`, `"a: b"`, `"#"`, `"x y"`, `"é"`, `" "`, `""`, `"?"`, `"*a"`}
	var cm strings.Builder
	cm.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations: {a: b}\nextra:\n")
	for i, v := range scalars {
		fmt.Fprintf(&cm, "  k%d: %s\n", i, v)
	}
	cm.WriteString("keys:\n")
	for i, k := range keys {
		fmt.Fprintf(&cm, "  %s: %d\n", k, i)
	}
	cm.WriteString("deep:\n")
	for i := range 30 {
		fmt.Fprintf(&cm, "%s- a%d:\n", strings.Repeat("  ", i+1), i)
	}
	fmt.Fprintf(&cm, "%s  x\n", strings.Repeat("  ", 31))
	return cm.String()
}
