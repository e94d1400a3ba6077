package workspace

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
	fs := yaml11Problems("c", "a.yaml", nodes[0])
	if len(fs) != 2 || fs[0].Line != 17 || fs[1].Line != 19 {
		t.Fatalf("problems = %+v, want lines 17 (parameters value) and 19 (namespace)", fs)
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

// TestApplicationsYAML11SharedDocuments: Applications gives the decoded
// Application kubectl's booleans, but the parsed documents other stages
// share keep what the file says.
func TestApplicationsYAML11SharedDocuments(t *testing.T) {
	root := t.TempDir()
	write(t, root, "clusters/c/app.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: a
spec:
  source:
    directory:
      recurse: yes
  destination:
    namespace: prod
`)
	w, err := Open(t.Context(), root, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	apps, problems, err := w.Applications(t.Context(), ClusterDir{Name: "c", Dir: "clusters/c"})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 || len(apps) != 1 {
		t.Fatalf("apps = %d, problems = %+v", len(apps), problems)
	}
	if d := apps[0].Spec.Source.Directory; d == nil || !d.Recurse {
		t.Errorf("recurse: yes not a boolean in the Application: %+v", d)
	}
	docs, err := w.Documents("clusters/c/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := docs[0].Object["spec"].(map[string]any)["source"].(map[string]any)["directory"].(map[string]any)
	if dir["recurse"] != "yes" {
		t.Errorf("shared document changed: recurse = %#v, want the string yes", dir["recurse"])
	}
}
