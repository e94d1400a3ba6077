package render

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/workspace"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestApplicationSetsExpandIntoClusters(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		".render-check.yaml": "repoURLs: [https://git.example/config.git]\n",
		"clusters/hub/apps.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: a}
spec: {project: default, destination: {namespace: a}, source: {repoURL: x, path: a}}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: argocd}
spec:
  generators:
  - clusters: {}
  template:
    metadata: {name: 'guestbook-{{name}}'}
    spec:
      project: default
      source: {repoURL: https://git.example/config.git, path: guestbook}
      destination: {server: '{{server}}', namespace: guestbook}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: addons}
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: https://git.example/config.git
      revision: HEAD
      directories: [{path: 'addons/*'}]
  template:
    metadata: {name: 'addon-{{.path.basename}}'}
    spec:
      project: default
      source: {repoURL: https://git.example/config.git, path: '{{.path.path}}'}
      destination: {name: spoke, namespace: '{{.path.basename}}'}
`,
		"clusters/hub/secrets/spoke.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: cluster-spoke
  labels: {argocd.argoproj.io/secret-type: cluster}
stringData:
  name: spoke
  server: https://spoke.example:6443
  config: ENC[AES256_GCM,data:abc,type:str]
`,
		"clusters/spoke/README.md":          "spoke\n",
		"addons/metrics/kustomization.yaml": "resources: []\n",
		"addons/logs/kustomization.yaml":    "resources: []\n",
		"guestbook/kustomization.yaml":      "resources: []\n",
	})
	cfg, err := config.Load(root, "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := workspace.Open(t.Context(), root, workspace.Settings{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	names := func(c workspace.ClusterDir) string {
		apps, findings, err := Applications(t.Context(), r, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(findings) != 0 {
			t.Fatalf("findings %+v", findings)
		}
		var out []string
		for _, a := range apps {
			out = append(out, a.Metadata.Name+"@"+a.GeneratedBy+":"+a.File)
		}
		return strings.Join(out, " ")
	}
	if got, want := names(workspace.ClusterDir{Name: "hub", Dir: "clusters/hub"}), "a@:clusters/hub/apps.yaml guestbook-in-cluster@fleet:clusters/hub/apps.yaml"; got != want {
		t.Errorf("hub: %s, want %s", got, want)
	}
	if got, want := names(workspace.ClusterDir{Name: "spoke", Dir: "clusters/spoke"}), "addon-logs@addons:clusters/hub/apps.yaml addon-metrics@addons:clusters/hub/apps.yaml guestbook-spoke@fleet:clusters/hub/apps.yaml"; got != want {
		t.Errorf("spoke: %s, want %s", got, want)
	}
	spoke, _, _ := Applications(t.Context(), r, workspace.ClusterDir{Name: "spoke", Dir: "clusters/spoke"})
	if got := strings.Join(spoke[2].GeneratorInputs, ","); spoke[2].Metadata.Name != "guestbook-spoke" || got != "clusters/hub/secrets/spoke.yaml" {
		t.Errorf("%s generator inputs %q, want the cluster Secret (a change there changes the app)", spoke[2].Metadata.Name, got)
	}
	if !isDiscoveredAppSet(t.Context(), r, "clusters/hub/apps.yaml", "fleet") {
		t.Error("fleet not marked as discovered")
	}
}

func TestApplicationSetErrorsAreFindings(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"clusters/prod/set.yaml": `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: bad}
spec:
  goTemplate: true
  goTemplateOptions: [missingkey=error]
  generators:
  - list: {elements: [{name: a}]}
  - scmProvider: {github: {organization: o}}
  template:
    metadata: {name: '{{.name}}'}
    spec:
      project: default
      source: {repoURL: x, path: '{{.missing}}'}
      destination: {server: https://kubernetes.default.svc}
`,
		"clusters/prod/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n  labels: {argocd.argoproj.io/secret-type: cluster}\nstringData: {name: 'ENC[AES256_GCM,data:x]', server: https://x}\n",
	})
	r, err := workspace.Open(t.Context(), root, workspace.Settings{Config: config.Default()})
	if err != nil {
		t.Fatal(err)
	}
	apps, findings, err := Applications(t.Context(), r, workspace.ClusterDir{Name: "prod", Dir: "clusters/prod"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		got = append(got, f.Rule+"@"+f.File+":"+itoa(f.Line)+"/"+f.Cluster)
	}
	want := "render/appset-cluster@clusters/prod/secret.yaml:1/prod render/unsupported@clusters/prod/set.yaml:9/prod render/appset-generator@clusters/prod/set.yaml:14/prod"
	if len(apps) != 0 || strings.Join(got, " ") != want {
		t.Fatalf("apps %d, findings %s\nwant %s", len(apps), strings.Join(got, " "), want)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestEveryWorkspaceProblemHasARule: each kind of workspace.Problem maps to
// a rule of the table, reported as an error (what workspace reported before
// it stopped naming rules).
func TestEveryWorkspaceProblemHasARule(t *testing.T) {
	n := 0
	for k := workspace.ProblemKind(1); k.String() != "unknown"; k++ {
		n++
		rule, ok := problemRules[k]
		if !ok {
			t.Errorf("problem kind %s has no rule", k)
			continue
		}
		f := problemFinding(workspace.Problem{Kind: k, Cluster: "c", File: "f.yaml", Line: 3, Message: "m"})
		if f.Rule != rule || f.Severity != report.SeverityError || f.Cluster != "c" || f.File != "f.yaml" || f.Line != 3 || f.Message != "m" {
			t.Errorf("problem kind %s: finding %+v", k, f)
		}
	}
	if n != len(problemRules) || n == 0 {
		t.Errorf("%d kinds, %d rules", n, len(problemRules))
	}
}
