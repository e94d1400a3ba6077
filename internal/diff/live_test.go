package diff

import (
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/resource"
)

const desiredDeploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ghcr.io/shop/web:1.4.2
        ports: [{containerPort: 8080}]
        resources: {requests: {cpu: 100m, memory: 128Mi}}
`

// liveDeploy is what `kubectl get deploy web -o yaml` exports for the
// manifest above: server metadata, status and API-server defaults.
const liveDeploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    deployment.kubernetes.io/revision: "3"
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"web"},"name":"web","namespace":"shop"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"ghcr.io/shop/web:1.4.2","name":"web","ports":[{"containerPort":8080}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}]}}}}
  creationTimestamp: "2026-03-02T10:11:12Z"
  generation: 3
  labels: {app: web}
  managedFields:
  - apiVersion: apps/v1
    fieldsType: FieldsV1
    manager: kubectl-client-side-apply
    operation: Update
  name: web
  namespace: shop
  resourceVersion: "812734"
  uid: 6f1d2c1e-3b7a-4c55-9a0e-0c4b1f0d8a11
spec:
  progressDeadlineSeconds: 600
  replicas: 2
  revisionHistoryLimit: 10
  selector: {matchLabels: {app: web}}
  strategy:
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
    type: RollingUpdate
  template:
    metadata:
      creationTimestamp: null
      labels: {app: web}
    spec:
      containers:
      - image: ghcr.io/shop/web:1.4.2
        imagePullPolicy: IfNotPresent
        name: web
        ports:
        - containerPort: 8080
          protocol: TCP
        resources:
          requests: {cpu: 100m, memory: 128Mi}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status:
  availableReplicas: 2
  observedGeneration: 3
  readyReplicas: 2
  replicas: 2
  updatedReplicas: 2
`

const liveService = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  uid: 11111111-2222-3333-4444-555555555555
  resourceVersion: "99"
  creationTimestamp: "2026-03-02T10:11:12Z"
spec:
  clusterIP: 10.96.12.34
  clusterIPs: [10.96.12.34]
  internalTrafficPolicy: Cluster
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
  selector: {app: web}
  sessionAffinity: None
  type: ClusterIP
status: {loadBalancer: {}}
`

const desiredService = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
  selector: {app: web}
`

func liveApp(t *testing.T, docs ...string) []*resource.App {
	a := &resource.App{Name: "web", Cluster: "prod"}
	for _, d := range docs {
		a.Resources = append(a.Resources, &resource.Resource{Cluster: "prod", App: "web", Object: obj(t, d)})
	}
	return []*resource.App{a}
}

func TestLiveAdoptionDiffsEmpty(t *testing.T) {
	live := []map[string]any{obj(t, liveDeploy), obj(t, liveService),
		obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: kube-root-ca.crt, namespace: shop}}`),
		obj(t, `{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: web-5d9c, namespace: shop, ownerReferences: [{kind: Deployment, name: web}]}}`)}
	r := Live("prod", liveApp(t, desiredDeploy, desiredService), live)
	if !r.Empty() {
		var b strings.Builder
		_ = Write(&b, r, "text")
		t.Fatalf("a correctly exported workload must diff empty:\n%s", b.String())
	}
}

func TestLiveDrift(t *testing.T) {
	drifted := strings.Replace(liveDeploy, "image: ghcr.io/shop/web:1.4.2\n        imagePullPolicy", "image: ghcr.io/shop/web:1.4.1\n        imagePullPolicy", 1)
	drifted = strings.Replace(drifted, "  replicas: 2\n  revisionHistoryLimit", "  replicas: 5\n  revisionHistoryLimit", 1)
	live := []map[string]any{obj(t, drifted),
		obj(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: orphan, namespace: shop}, data: {a: b}}`)}
	desiredCM := `{apiVersion: v1, kind: ConfigMap, metadata: {name: fresh, namespace: shop}}`
	r := Live("prod", liveApp(t, desiredDeploy, desiredCM), live)
	var paths []string
	changes := map[string]Change{}
	for _, a := range r.Apps {
		for _, d := range a.Resources {
			changes[d.Resource.String()] = d.Change
			for _, f := range d.Fields {
				paths = append(paths, f.Path+"="+f.Desired+"/"+f.Live)
			}
		}
	}
	want := map[string]Change{"Deployment/shop/web": Changed, "ConfigMap/shop/fresh": Added, "ConfigMap/shop/orphan": Removed}
	for k, v := range want {
		if changes[k] != v {
			t.Errorf("%s: got %q want %q (all %v)", k, changes[k], v, changes)
		}
	}
	got := strings.Join(paths, "\n")
	for _, w := range []string{"spec.replicas=2/5", "spec.template.spec.containers[name=web].image=ghcr.io/shop/web:1.4.2/ghcr.io/shop/web:1.4.1"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing field diff %q in:\n%s", w, got)
		}
	}
}

func TestLiveSecretRedacted(t *testing.T) {
	live := []map[string]any{obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: db, namespace: shop}, data: {password: bGl2ZS1zZWNyZXQtdmFsdWU=}}`)}
	r := Live("prod", liveApp(t, `{apiVersion: v1, kind: Secret, metadata: {name: db, namespace: shop}, data: {password: ZGVzaXJlZC1zZWNyZXQ=}}`), live)
	if r.Empty() {
		t.Fatal("changed secret not reported")
	}
	for _, f := range Formats {
		var b strings.Builder
		if err := Write(&b, r, f); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"bGl2ZS1zZWNyZXQtdmFsdWU=", "ZGVzaXJlZC1zZWNyZXQ="} {
			if strings.Contains(b.String(), v) {
				t.Errorf("%s output contains a secret value", f)
			}
		}
	}
}
