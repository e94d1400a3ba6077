// Package benchrepo generates synthetic Argo CD config repos for
// benchmarks and scale tests: N clusters x M apps, a third each Helm (a
// shared chart in _base), Kustomize (a shared base, a component and
// patches) and plain directory sources, with one app-of-apps root per
// cluster, plus the equivalent upstream-CLI shell pipeline.
package benchrepo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RepoURL is the repoURL every generated Application uses.
const RepoURL = "https://git.example.com/platform/bench-config.git"

// Generate writes the repo under dir and, when shell is set, one line per app
// running the upstream CLIs ($HELM, $KUSTOMIZE, $KUBECONFORM with $SCHEMAS)
// the way a shell-script CI step would.
func Generate(dir, shell string, clusters, apps int) error {
	w := &writer{dir: dir}
	defer func() {
		if shell != "" && w.err == nil {
			w.err = os.WriteFile(shell, []byte(strings.Join(w.lines, "\n")+"\n"), 0o644)
		}
	}()
	w.file(".render-check.yaml", fmt.Sprintf("repoURLs:\n- %s\n", RepoURL))
	w.file(".github/CODEOWNERS", "* @bench/platform\n")
	w.base()
	for c := 0; c < clusters; c++ {
		cl := fmt.Sprintf("cluster-%02d", c)
		w.file(filepath.Join("clusters", cl, "root.yaml"), application("root-"+cl, "argocd", fmt.Sprintf("  source:\n    repoURL: %s\n    path: clusters/%s/apps\n", RepoURL, cl)))
		for a := 0; a < apps; a++ {
			w.app(cl, a)
		}
	}
	return w.err
}

type writer struct {
	dir   string
	err   error
	lines []string
}

// validate is the kubeconform step of each line: strict, with the schemas
// that `render-check schemas export` wrote to $SCHEMAS (no network).
const validate = `"$KUBECONFORM" -strict -summary -schema-location "$SCHEMAS" -kubernetes-version "$KUBE_VERSION"`

func (w *writer) file(rel, content string) {
	if w.err != nil {
		return
	}
	p := filepath.Join(w.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.err = err
		return
	}
	w.err = os.WriteFile(p, []byte(content), 0o644)
}

func application(name, ns, source string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %s
  namespace: argocd
spec:
  project: default
%s  destination:
    server: https://kubernetes.default.svc
    namespace: %s
  syncPolicy:
    syncOptions: [CreateNamespace=true]
`, name, source, ns)
}

func (w *writer) app(cluster string, i int) {
	name := fmt.Sprintf("svc-%03d", i)
	ns := fmt.Sprintf("team-%d", i%7)
	appsDir := filepath.Join("clusters", cluster, "apps")
	switch i % 3 {
	case 0: // helm, local chart, values from the cluster
		values := filepath.Join("clusters", cluster, "values", name+".yaml")
		w.file(values, fmt.Sprintf("replicaCount: %d\nimage:\n  repository: ghcr.io/bench/%s\n  tag: \"1.%d.%d\"\nenv:\n  CLUSTER: %s\n", 1+i%3, name, i%10, i%4, cluster))
		w.lines = append(w.lines, fmt.Sprintf(`"$HELM" template %s _base/charts/service -f %s --namespace %s --kube-version "$KUBE_VERSION" --include-crds | %s`, name, filepath.ToSlash(values), ns, validate))
		w.file(filepath.Join(appsDir, name+".yaml"), application(name, ns, fmt.Sprintf(
			"  source:\n    repoURL: %s\n    path: _base/charts/service\n    helm:\n      valueFiles:\n      - /%s\n", RepoURL, filepath.ToSlash(values))))
	case 1: // kustomize overlay of a shared base, a component and patches
		overlay := filepath.Join("clusters", cluster, "overlays", name)
		w.file(filepath.Join(overlay, "kustomization.yaml"), fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: %s
namePrefix: %s-
resources:
- ../../../../_base/kustomize/worker
components:
- ../../../../_base/components/probes
images:
- name: worker
  newName: ghcr.io/bench/%s
  newTag: "2.%d.0"
patches:
- target: {kind: Deployment, name: worker}
  patch: |-
    - op: replace
      path: /spec/replicas
      value: %d
labels:
- pairs: {app.kubernetes.io/part-of: %s}
`, ns, name, name, i%10, 1+i%4, name))
		w.lines = append(w.lines, fmt.Sprintf(`"$KUSTOMIZE" build %s | %s`, filepath.ToSlash(overlay), validate))
		w.file(filepath.Join(appsDir, name+".yaml"), application(name, ns, fmt.Sprintf(
			"  source:\n    repoURL: %s\n    path: %s\n", RepoURL, filepath.ToSlash(overlay))))
	default: // plain directory
		d := filepath.Join("clusters", cluster, "manifests", name)
		w.file(filepath.Join(d, "configmap.yaml"), fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-config\ndata:\n  LOG_LEVEL: info\n  CLUSTER: %s\n", name, cluster))
		w.file(filepath.Join(d, "cronjob.yaml"), fmt.Sprintf(`apiVersion: batch/v1
kind: CronJob
metadata:
  name: %s-report
spec:
  schedule: "*/15 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: report
            image: ghcr.io/bench/%s-report:3.%d.1
            args: ["--once"]
`, name, name, i%10))
		w.file(filepath.Join(d, "service-account.yaml"), fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n", name))
		w.lines = append(w.lines, fmt.Sprintf(`%s %s`, validate, filepath.ToSlash(d)))
		w.file(filepath.Join(appsDir, name+".yaml"), application(name, ns, fmt.Sprintf(
			"  source:\n    repoURL: %s\n    path: %s\n", RepoURL, filepath.ToSlash(d))))
	}
}

func (w *writer) base() {
	w.file("_base/charts/service/Chart.yaml", "apiVersion: v2\nname: service\nversion: 0.3.0\nappVersion: \"1.0\"\n")
	w.file("_base/charts/service/values.yaml", "replicaCount: 1\nimage:\n  repository: ghcr.io/bench/service\n  tag: \"1.0.0\"\n  pullPolicy: IfNotPresent\nservice:\n  port: 80\nenv: {}\nresources:\n  requests: {cpu: 50m, memory: 64Mi}\n")
	w.file("_base/charts/service/templates/_helpers.tpl", `{{- define "service.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
`)
	w.file("_base/charts/service/templates/deployment.yaml", strings.TrimLeft(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {{- include "service.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {{- include "service.labels" . | nindent 6 }}
  template:
    metadata:
      labels: {{- include "service.labels" . | nindent 8 }}
    spec:
      containers:
      - name: app
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        imagePullPolicy: {{ .Values.image.pullPolicy }}
        ports:
        - containerPort: 8080
          name: http
        env:
        {{- range $k, $v := .Values.env }}
        - name: {{ $k }}
          value: {{ $v | quote }}
        {{- end }}
        resources: {{- toYaml .Values.resources | nindent 10 }}
`, "\n"))
	w.file("_base/charts/service/templates/service.yaml", strings.TrimLeft(`
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
  labels: {{- include "service.labels" . | nindent 4 }}
spec:
  selector: {{- include "service.labels" . | nindent 4 }}
  ports:
  - port: {{ .Values.service.port }}
    targetPort: http
`, "\n"))
	w.file("_base/charts/service/templates/pdb.yaml", strings.TrimLeft(`
{{- if .Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget" }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .Release.Name }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {{- include "service.labels" . | nindent 6 }}
{{- end }}
`, "\n"))
	w.file("_base/kustomize/worker/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\n- service.yaml\n")
	w.file("_base/kustomize/worker/deployment.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  replicas: 1
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      containers:
      - name: worker
        image: worker:latest
        ports:
        - containerPort: 9090
          name: http
        resources:
          requests: {cpu: 100m, memory: 128Mi}
`)
	w.file("_base/kustomize/worker/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: worker\nspec:\n  selector: {app: worker}\n  ports:\n  - port: 80\n    targetPort: http\n")
	w.file("_base/components/probes/kustomization.yaml", `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
- target: {kind: Deployment}
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/readinessProbe
      value: {httpGet: {path: /healthz, port: http}, periodSeconds: 10}
    - op: add
      path: /spec/template/spec/containers/0/livenessProbe
      value: {httpGet: {path: /healthz, port: http}, periodSeconds: 20}
`)
}
