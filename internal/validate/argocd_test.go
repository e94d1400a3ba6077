package validate

import (
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/kube"
	"github.com/render-check/render-check/internal/workspace"
)

func TestArgoCDKindsWithoutCRDs(t *testing.T) {
	v, err := New(Options{KubernetesVersion: kube.DefaultVersion(), Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeObjects([]byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://example.com/r.git, path: web, helm: {valueFiles: [a.yaml]}}
  destination: {server: https://kubernetes.default.svc, namespace: web}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: broken, namespace: argocd}
spec:
  source: {repoURL: https://example.com/r.git, path: web}
  destination: {server: https://kubernetes.default.svc, namespace: web}
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: default, namespace: argocd}
spec: {sourceRepos: ['*']}
`))
	if err != nil {
		t.Fatal(err)
	}
	if ps := v.Validate(normalize(objs[0]).(map[string]any)); len(ps) != 0 {
		t.Errorf("a valid Application without its CRD in the repo: %+v", ps)
	}
	ps := v.Validate(normalize(objs[1]).(map[string]any))
	if len(ps) == 0 || !strings.Contains(problemMessage(ps[0]), "project") {
		t.Errorf("an Application without spec.project passed: %+v", ps)
	}
	if ps := v.Validate(normalize(objs[2]).(map[string]any)); len(ps) != 0 {
		t.Errorf("AppProject: %+v", ps)
	}
}

// decodeObjects decodes the objects of a YAML stream with the workspace's
// decoder.
func decodeObjects(data []byte) ([]map[string]any, error) {
	docs, err := workspace.ParseDocuments("", data)
	var out []map[string]any
	for _, d := range docs {
		if d.Object != nil {
			out = append(out, d.Object)
		}
	}
	return out, err
}
