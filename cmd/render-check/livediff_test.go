package main

import (
	"strings"
	"testing"
)

// TestDiffLiveCanonicalForms: a live export reads back every value in the
// API server's canonical form (quantities, int-or-string ports, Secret
// stringData folded into data, dropped zero values); none of that is a
// change Argo CD would make, so the diff is empty; a real change still shows.
func TestDiffLiveCanonicalForms(t *testing.T) {
	root := checkRepo(t, map[string]string{
		".render-check.yaml":          checkConfig,
		"clusters/prod/apps/web.yaml": checkApp("web", dirSource("clusters/prod/web")),
		"clusters/prod/web/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}, annotations: {}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: false
      containers:
      - name: web
        image: ghcr.io/shop/web:1.4.2
        env: [{name: MODE, value: ""}]
        resources:
          requests: {cpu: 1000m, memory: 1024Mi, ephemeral-storage: 1G}
          limits: {cpu: 1.5, memory: 1073741824}
        volumeMounts: [{name: tmp, mountPath: /tmp}]
      volumes:
      - name: tmp
        emptyDir: {sizeLimit: 0.5Gi}
`,
		"clusters/prod/web/svc.yaml":    "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: \"8080\"}]\n",
		"clusters/prod/web/pvc.yaml":    "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1024Mi}}\n",
		"clusters/prod/web/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: web}\nstringData: {token: not-so-secret}\n",
	})
	exported := `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: web, labels: {app: web}, uid: u1, resourceVersion: "4711"}
  spec:
    replicas: 2
    selector: {matchLabels: {app: web}}
    template:
      metadata: {creationTimestamp: null, labels: {app: web}}
      spec:
        containers:
        - name: web
          image: ghcr.io/shop/web:1.4.2
          env: [{name: MODE}]
          resources:
            requests: {cpu: "1", memory: 1Gi, ephemeral-storage: 1G}
            limits: {cpu: 1500m, memory: 1Gi}
          volumeMounts: [{name: tmp, mountPath: /tmp}]
        volumes:
        - name: tmp
          emptyDir: {sizeLimit: 512Mi}
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: web}
  spec:
    selector: {app: web}
    ports: [{port: 80, protocol: TCP, targetPort: 8080}]
- apiVersion: v1
  kind: PersistentVolumeClaim
  metadata: {name: data, namespace: web}
  spec:
    accessModes: [ReadWriteOnce]
    resources: {requests: {storage: 1Gi}}
    volumeMode: Filesystem
- apiVersion: v1
  kind: Secret
  metadata: {name: web, namespace: web}
  type: Opaque
  data: {token: bm90LXNvLXNlY3JldA==}
`
	live := t.TempDir()
	writeFiles(t, live, map[string]string{"export.yaml": exported})
	code, out, errOut := runCLI(t, "diff", "--root", root, "--live", live, "--cluster", "prod", "--fail-on-change")
	if code != exitOK {
		t.Fatalf("quantity-equivalent export must diff empty: exit %d\n%s\n%s", code, out, errOut)
	}

	// Real changes still show: a different CPU limit, a different secret value.
	drifted := strings.Replace(exported, "limits: {cpu: 1500m", "limits: {cpu: 1600m", 1)
	drifted = strings.Replace(drifted, "bm90LXNvLXNlY3JldA==", "b3RoZXI=", 1)
	writeFiles(t, live, map[string]string{"export.yaml": drifted})
	code, out, _ = runCLI(t, "diff", "--root", root, "--live", live, "--cluster", "prod", "--fail-on-change")
	if code != exitFindings {
		t.Fatalf("drift: exit %d, want 1\n%s", code, out)
	}
	for _, w := range []string{"resources.limits.cpu: desired 1.5, live 1600m", "Secret/web/web"} {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in:\n%s", w, out)
		}
	}
	for _, secret := range []string{"not-so-secret", "bm90LXNvLXNlY3JldA==", "b3RoZXI="} {
		if strings.Contains(out, secret) {
			t.Errorf("diff shows a secret value %q:\n%s", secret, out)
		}
	}
	if strings.Contains(out, "memory") || strings.Contains(out, "storage") {
		t.Errorf("equivalent quantities reported:\n%s", out)
	}
}
