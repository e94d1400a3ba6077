package validate

import (
	"testing"

	"sigs.k8s.io/yaml"
)

func TestSmoke(t *testing.T) {
	v, err := New(Options{Strict: true, KubernetesVersion: "1.30"})
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	yaml.Unmarshal([]byte(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: x, creationTimestamp: null, labels: {a: b}}
spec:
  replicas: "3"
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
      - name: a
        image: b
        resource: {}
        ports: [{containerPort: 80}]
        resources: {limits: {cpu: 1, memory: 1Gi}}
        livenessProbe: {httpGet: {port: http, path: /}}
`), &obj)
	for _, p := range v.Validate(obj) {
		t.Logf("%+v", p)
	}
	yaml.Unmarshal([]byte(`{apiVersion: policy/v1beta1, kind: PodDisruptionBudget, metadata: {name: x}}`), &obj)
	t.Logf("%+v", v.Validate(obj))
	yaml.Unmarshal([]byte(`{apiVersion: flowcontrol.apiserver.k8s.io/v1beta3, kind: FlowSchema, metadata: {name: x}}`), &obj)
	t.Logf("%+v", v.Validate(obj))
	yaml.Unmarshal([]byte(`{apiVersion: example.com/v1, kind: Foo, metadata: {name: x}}`), &obj)
	t.Logf("%+v", v.Validate(obj))
}
