package main

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/diff"
)

func dirSource(path string) string {
	return "  source:\n    repoURL: https://git.example.com/platform/config.git\n    path: " + path + "\n"
}

func gitCommitAll(t *testing.T, root, msg string) {
	t.Helper()
	for _, args := range [][]string{{"add", "-A"}, {"-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-q", "-m", msg}} {
		if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// removeFiles deletes files of the tree.
func removeFiles(t *testing.T, root string, rels ...string) {
	t.Helper()
	for _, rel := range rels {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			t.Fatal(err)
		}
	}
}

// diffRepo is a git repository with two commits: base and head. Between
// them a ConfigMap changes, a Secret value changes, a Service moves to
// another app unchanged, one ConfigMap is removed and one added, and the
// manifests of an untouched app are reformatted.
func diffRepo(t *testing.T) string {
	root := checkRepo(t, map[string]string{
		".render-check.yaml":                checkConfig,
		"clusters/prod/apps/shop.yaml":      checkApp("shop", dirSource("clusters/prod/shop")),
		"clusters/prod/apps/frontend.yaml":  checkApp("frontend", dirSource("clusters/prod/frontend")),
		"clusters/prod/apps/steady.yaml":    checkApp("steady", dirSource("clusters/prod/steady")),
		"clusters/prod/shop/settings.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG_LEVEL: info}\n",
		"clusters/prod/shop/db.yaml":        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: base-password-Aa1}\n",
		"clusters/prod/shop/web-svc.yaml":   "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n",
		"clusters/prod/shop/legacy.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: legacy}\n",
		"clusters/prod/frontend/index.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: index}\ndata: {title: shop}\n",
		"clusters/prod/steady/quota.yaml":   "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q}\nspec: {hard: {pods: '10'}}\n",
	})
	gitInit(t, root)
	writeFiles(t, root, map[string]string{
		"clusters/prod/shop/settings.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG_LEVEL: debug}\n",
		"clusters/prod/shop/db.yaml":          "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: head-password-Bb2}\n",
		"clusters/prod/frontend/web-svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n",
		"clusters/prod/frontend/banner.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: banner}\n",
		"clusters/prod/steady/quota.yaml":     "kind: ResourceQuota\napiVersion: v1\nspec:\n  hard:\n    pods: \"10\"\nmetadata:\n  name: q\n",
	})
	removeFiles(t, root, "clusters/prod/shop/web-svc.yaml", "clusters/prod/shop/legacy.yaml")
	gitCommitAll(t, root, "head")
	return root
}

func TestDiffRevisions(t *testing.T) {
	root := diffRepo(t)
	code, out, errOut := runCLI(t, "diff", "--root", root, "--base", "HEAD~1", "--head", "HEAD", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res diff.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	got := map[string]diff.Change{}
	for _, a := range res.Apps {
		for _, r := range a.Resources {
			got[a.App+" "+r.Resource.String()] = r.Change
		}
	}
	want := map[string]diff.Change{
		"shop ConfigMap/shop/settings":       diff.Changed,
		"shop Secret/shop/db":                diff.Changed,
		"shop ConfigMap/shop/legacy":         diff.Removed,
		"frontend ConfigMap/frontend/banner": diff.Added,
		// a Service with the same identity in another namespace is not a move
		"frontend Service/frontend/web": diff.Added,
		"shop Service/shop/web":         diff.Removed,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("unexpected changes: %v", got)
	}
	for _, format := range diff.Formats {
		_, out, _ := runCLI(t, "diff", "--root", root, "--base", "HEAD~1", "--head", "HEAD", "--format", format)
		for _, secret := range []string{"base-password-Aa1", "head-password-Bb2"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output contains a secret value", format)
			}
		}
		if format != "json" && strings.Contains(out, "ResourceQuota") {
			t.Errorf("%s: a reformatted manifest shows as a change:\n%s", format, out)
		}
	}
	_, md, _ := runCLI(t, "diff", "--root", root, "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown")
	golden(t, "diff-revisions.md", md)
}

func TestDiffMovedBetweenAppsIsAMove(t *testing.T) {
	root := checkRepo(t, map[string]string{
		".render-check.yaml":               checkConfig,
		"clusters/prod/apps/a.yaml":        strings.Replace(checkApp("a", dirSource("clusters/prod/a")), "namespace: a\n", "namespace: shared\n", 1),
		"clusters/prod/apps/b.yaml":        strings.Replace(checkApp("b", dirSource("clusters/prod/b")), "namespace: b\n", "namespace: shared\n", 1),
		"clusters/prod/a/cm.yaml":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: moved}\ndata: {k: v}\n",
		"clusters/prod/b/placeholder.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stays}\n",
	})
	gitInit(t, root)
	removeFiles(t, root, "clusters/prod/a/cm.yaml")
	writeFiles(t, root, map[string]string{
		"clusters/prod/b/cm.yaml": "data: {k: v}\nmetadata: {name: moved}\nkind: ConfigMap\napiVersion: v1\n",
	})
	// head is the working tree: uncommitted changes are diffed, nothing is touched
	code, out, errOut := runCLI(t, "diff", "--root", root, "--base", "HEAD", "--format", "text", "--fail-on-change")
	if code != exitFindings {
		t.Fatalf("--fail-on-change with a change: exit %d, want 1 (%s)", code, errOut)
	}
	if !strings.Contains(out, "ConfigMap/shared/moved moved from a") || !strings.Contains(out, "1 app changed: 0 resources added, 0 changed, 0 removed, 1 moved\n") {
		t.Fatalf("move not detected:\n%s", out)
	}
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain").Output(); err != nil || !strings.Contains(string(st), "b/cm.yaml") {
		t.Fatalf("the working tree was touched: %q %v", st, err)
	}
	if code, _, _ := runCLI(t, "diff", "--root", root, "--base", "HEAD", "--head", "HEAD", "--fail-on-change"); code != exitOK {
		t.Fatalf("no change with --fail-on-change: exit %d, want 0", code)
	}
	if code, _, _ := runCLI(t, "diff", "--root", root, "--base", "no-such-ref"); code != exitError {
		t.Fatalf("bad ref: exit %d, want 2", code)
	}
}

func TestDiffLiveAdoption(t *testing.T) {
	root := checkRepo(t, map[string]string{
		".render-check.yaml":            checkConfig,
		"clusters/prod/apps/web.yaml":   checkApp("web", dirSource("clusters/prod/web")),
		"clusters/prod/web/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: ghcr.io/shop/web:1.4.2\n        ports: [{containerPort: 8080}]\n",
		"clusters/prod/web/svc.yaml":    "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n",
	})
	live := t.TempDir()
	exported := `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: web
    labels: {app: web}
    uid: 0b0c5a52-1111-2222-3333-444455556666
    resourceVersion: "4711"
    generation: 2
    creationTimestamp: "2026-01-01T00:00:00Z"
    managedFields: [{manager: kubectl, operation: Update}]
    annotations: {deployment.kubernetes.io/revision: "2"}
  spec:
    progressDeadlineSeconds: 600
    replicas: 2
    revisionHistoryLimit: 10
    selector: {matchLabels: {app: web}}
    strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}
    template:
      metadata: {creationTimestamp: null, labels: {app: web}}
      spec:
        containers:
        - name: web
          image: ghcr.io/shop/web:1.4.2
          imagePullPolicy: IfNotPresent
          ports: [{containerPort: 8080, protocol: TCP}]
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
        dnsPolicy: ClusterFirst
        restartPolicy: Always
        schedulerName: default-scheduler
        securityContext: {}
        terminationGracePeriodSeconds: 30
  status: {replicas: 2, readyReplicas: 2}
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: web, uid: 1, resourceVersion: "9"}
  spec:
    clusterIP: 10.0.0.12
    clusterIPs: [10.0.0.12]
    ipFamilies: [IPv4]
    ipFamilyPolicy: SingleStack
    internalTrafficPolicy: Cluster
    sessionAffinity: None
    type: ClusterIP
    selector: {app: web}
    ports: [{port: 80, protocol: TCP, targetPort: 8080}]
  status: {loadBalancer: {}}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: kube-root-ca.crt, namespace: web}
`
	writeFiles(t, live, map[string]string{"export.yaml": exported})
	code, out, errOut := runCLI(t, "diff", "--root", root, "--live", live, "--cluster", "prod", "--app", "web", "--fail-on-change")
	if code != exitOK {
		t.Fatalf("a correctly exported workload must diff empty: exit %d\n%s\n%s", code, out, errOut)
	}
	writeFiles(t, live, map[string]string{"export.yaml": strings.Replace(exported, "image: ghcr.io/shop/web:1.4.2", "image: ghcr.io/shop/web:1.3.9", 1) +
		"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: hand-made, namespace: web}\n"})
	code, out, _ = runCLI(t, "diff", "--root", root, "--live", live, "--cluster", "prod", "--fail-on-change")
	if code != exitFindings {
		t.Fatalf("drift: exit %d, want 1\n%s", code, out)
	}
	for _, w := range []string{"containers[name=web].image: desired ghcr.io/shop/web:1.4.2, live ghcr.io/shop/web:1.3.9", "ConfigMap/web/hand-made removed"} {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in:\n%s", w, out)
		}
	}
	if code, _, _ := runCLI(t, "diff", "--root", root, "--live", live); code != exitError {
		t.Fatalf("--live without --cluster: exit %d, want 2", code)
	}
}

var updateGolden = flag.Bool("update", false, "rewrite golden files under testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

// TestActionDiff runs the action's diff command in a simulated runner: the
// markdown view lands in the job summary and the diff output, changed is
// set, and fail-on-change fails the step.
func TestActionDiff(t *testing.T) {
	bin := buildShipBinary(t)
	ws := diffRepo(t)
	r := runActionBin(t, bin, ws, map[string]string{"command": "diff", "base": "HEAD~1", "head": "HEAD"})
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r.outputs["changed"] != "true" || r.outputs["diff"] != "render-check-reports/diff.md" {
		t.Fatalf("outputs %v", r.outputs)
	}
	if !strings.Contains(r.summary, "| prod | shop | 0 | 2 | 2 |") || !strings.Contains(r.summary, "<details>") {
		t.Fatalf("job summary:\n%s", r.summary)
	}
	for _, s := range []string{r.summary, r.stdout, r.stderr} {
		if strings.Contains(s, "base-password-Aa1") || strings.Contains(s, "head-password-Bb2") {
			t.Fatal("a secret value reached the action's output")
		}
	}
	r = runActionBin(t, bin, ws, map[string]string{"command": "diff", "base": "HEAD~1", "head": "HEAD", "fail-on-change": "true"})
	if r.code != exitFindings {
		t.Fatalf("fail-on-change: exit %d, want 1", r.code)
	}
	r = runActionBin(t, bin, ws, map[string]string{"command": "diff", "base": "HEAD", "head": "HEAD"})
	if r.code != exitOK || r.outputs["changed"] != "false" {
		t.Fatalf("no change: exit %d outputs %v", r.code, r.outputs)
	}
}

// TestDiffRootInSubdirectory: the config repo is a directory of a bigger
// git repository (as testdata/clusters is of this one).
func TestDiffRootInSubdirectory(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "deploy", "config")
	writeFiles(t, root, map[string]string{
		".render-check.yaml":          checkConfig,
		"clusters/prod/apps/web.yaml": checkApp("web", dirSource("clusters/prod/web")),
		"clusters/prod/web/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '1'}\n",
	})
	writeFiles(t, top, map[string]string{"README.md": "app code lives here\n"})
	gitInit(t, top)
	writeFiles(t, root, map[string]string{"clusters/prod/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '2'}\n"})
	code, out, errOut := runCLI(t, "diff", "--root", root, "--base", "HEAD")
	if code != exitOK || !strings.Contains(out, "ConfigMap/web/web changed") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}
