package workspace

import (
	"fmt"
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

// TestApplicationsOneParseEitherOrder: whether Applications parses the file
// first (documents and nodes from one parse) or another reader parsed it
// before (the nodes are decoded again), the Application and its YAML 1.1
// findings are the same, also with a second document that does not parse.
func TestApplicationsOneParseEitherOrder(t *testing.T) {
	root := t.TempDir()
	write(t, root, "clusters/c/app.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: a
spec:
  source:
    directory:
      recurse: yes
  destination:
    namespace: no
---
a: [b
`)
	c := ClusterDir{Name: "c", Dir: "clusters/c"}
	var got []string
	for _, documentsFirst := range []bool{false, true} {
		w, err := Open(t.Context(), root, Settings{})
		if err != nil {
			t.Fatal(err)
		}
		if documentsFirst {
			if _, err := w.Documents("clusters/c/app.yaml"); err == nil {
				t.Fatal("the third document should not parse")
			}
		}
		apps, findings, err := w.Applications(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		if len(apps) != 1 || apps[0].Line != 5 {
			t.Fatalf("documents first %v: apps = %+v", documentsFirst, apps)
		}
		if d := apps[0].Spec.Source.Directory; d == nil || !d.Recurse {
			t.Errorf("documents first %v: recurse: yes not a boolean: %+v", documentsFirst, d)
		}
		var rules []string
		for _, f := range findings {
			rules = append(rules, fmt.Sprintf("%s:%d", f.Kind, f.Line))
		}
		if len(rules) != 2 {
			t.Errorf("documents first %v: findings %v, want the YAML 1.1 namespace and the malformed document", documentsFirst, rules)
		}
		got = append(got, fmt.Sprint(rules, apps[0].Spec.Destination.Namespace))
	}
	if got[0] != got[1] {
		t.Errorf("parse order changes the result:\n%s\n%s", got[0], got[1])
	}
}
