package repo

import (
	"testing"
)

// TestApplicationYAML11 decodes an Application as kubectl would: YAML 1.1
// booleans in boolean fields and valuesObject, a finding in string fields,
// quoted values untouched.
func TestApplicationYAML11(t *testing.T) {
	data := []byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: a
  labels:
    team: "no"
spec:
  source:
    directory:
      recurse: yes
    helm:
      valuesObject:
        enabled: on
        list: [off, "on", x]
      parameters:
        - name: debug
          value: off
  destination:
    namespace: n
`)
	docs, err := ParseDocuments("a.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := DecodeNodes(data)
	if err != nil {
		t.Fatal(err)
	}
	fs := yaml11Findings("c", "a.yaml", nodes[0])
	if len(fs) != 2 || fs[0].Line != 17 || fs[1].Line != 19 {
		t.Fatalf("findings = %+v, want lines 17 (parameters value) and 19 (namespace)", fs)
	}
	obj := docs[0].Object
	applyYAML11Booleans(nodes[0], obj, false)
	spec := obj["spec"].(map[string]any)["source"].(map[string]any)
	if spec["directory"].(map[string]any)["recurse"] != true {
		t.Errorf("recurse = %v", spec["directory"])
	}
	vo := spec["helm"].(map[string]any)["valuesObject"].(map[string]any)
	if vo["enabled"] != true || vo["list"].([]any)[0] != false || vo["list"].([]any)[1] != "on" || vo["list"].([]any)[2] != "x" {
		t.Errorf("valuesObject = %v", vo)
	}
	if obj["metadata"].(map[string]any)["labels"].(map[string]any)["team"] != "no" {
		t.Errorf("a quoted value changed: %v", obj["metadata"])
	}
}
