package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/imagebump"
	"github.com/render-check/render-check/internal/registry/registrytest"
	"github.com/render-check/render-check/internal/report"
)

// TestImageFindingLineIsBumpLine: for each shape an image is set in (a
// plain image: field, a kustomization's images: newTag, Helm values
// repository+tag, an Application's kustomize.images), the image check's
// finding names the file:line that `bump --dry-run` reports for the same
// image: the one locator both use.
func TestImageFindingLineIsBumpLine(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registrytest.Start(t, registrytest.Options{})
	ref := func(repo string) string { return reg.Ref(repo, "") }
	app := func(name, path, extra string) string {
		return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %s
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
  source:
    repoURL: https://git.example/config.git
    targetRevision: HEAD
    path: %s
%s`, name, path, extra)
	}
	deploy := func(name, image string) string {
		return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  selector:
    matchLabels: {app: %s}
  template:
    metadata:
      labels: {app: %s}
    spec:
      containers:
      - name: main
        image: %s
`, name, name, name, image)
	}
	root := bumpRepo(t, map[string]string{
		".render-check.yaml": fmt.Sprintf("repoURLs: [https://git.example/config.git]\nimages:\n  insecure: [%q]\n", reg.Host),
		// plain image: field
		"clusters/prod/apps/plain.yaml": app("plain", "apps/plain", ""),
		"apps/plain/deploy.yaml":        deploy("plain", ref("shop/plain")+":1.0"),
		// kustomization images: newTag
		"clusters/prod/apps/kust.yaml":         app("kust", "apps/kust/overlay", ""),
		"apps/kust/base/kustomization.yaml":    "resources: [deploy.yaml]\n",
		"apps/kust/base/deploy.yaml":           deploy("kust", ref("shop/kust")),
		"apps/kust/overlay/kustomization.yaml": fmt.Sprintf("resources: [../base]\nimages:\n- name: %s\n  newTag: \"1.0\"\n", ref("shop/kust")),
		// Helm values: repository + tag, in a value file over the chart's
		"clusters/prod/apps/chart.yaml":    app("chart", "charts/web", "    helm:\n      valueFiles: [values-prod.yaml]\n"),
		"charts/web/Chart.yaml":            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":           fmt.Sprintf("image:\n  repository: %s\n  tag: \"0.9\"\n", ref("shop/chart")),
		"charts/web/values-prod.yaml":      fmt.Sprintf("replicas: 2\nimage:\n  repository: %s\n  tag: \"1.0\"\n", ref("shop/chart")),
		"charts/web/templates/deploy.yaml": deploy("chart", `"{{ .Values.image.repository }}:{{ .Values.image.tag }}"`),
		// an Application's kustomize.images
		"clusters/prod/apps/argokust.yaml": app("argokust", "apps/argokust",
			fmt.Sprintf("    kustomize:\n      images:\n      - %s:1.0\n", ref("shop/argokust"))),
		"apps/argokust/kustomization.yaml": "resources: [deploy.yaml]\n",
		"apps/argokust/deploy.yaml":        deploy("argokust", ref("shop/argokust")+":0.1"),
	})

	code, stdout, stderr := runCLI(t, "check", "--root", root, "--format", "json")
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("exit %d, bad json: %v\n%s\n%s", code, err, stdout, stderr)
	}
	found := map[string]report.Finding{}
	for _, f := range rep.Findings {
		if f.Rule == report.RuleImageTagNotFound {
			found[f.App] = f
		} else if f.Severity == report.SeverityError {
			t.Fatalf("unexpected finding %+v\n%s", f, stderr)
		}
	}
	want := map[string]string{ // app -> file:line a person edits
		"plain":    "apps/plain/deploy.yaml:14",
		"kust":     "apps/kust/overlay/kustomization.yaml:4",
		"chart":    "charts/web/values-prod.yaml:4",
		"argokust": "clusters/prod/apps/argokust.yaml:17",
	}
	for name, repo := range map[string]string{"plain": "shop/plain", "kust": "shop/kust", "chart": "shop/chart", "argokust": "shop/argokust"} {
		f, ok := found[name]
		if !ok {
			t.Errorf("%s: no image/tag-not-found finding; findings: %+v", name, rep.Findings)
			continue
		}
		at := fmt.Sprintf("%s:%d", f.File, f.Line)
		if at != want[name] {
			t.Errorf("%s: finding at %s, want %s", name, at, want[name])
		}
		code, out, errOut := runCLI(t, "bump", "--root", root, "--image", ref(repo), "--tag", "2.0", "--no-verify", "--dry-run", "--format", "json")
		var res imagebump.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK {
			t.Fatalf("%s: bump exit %d, %v\n%s\n%s", name, code, err, out, errOut)
		}
		var edited []string
		for _, r := range res.References {
			if r.Status == imagebump.StatusChanged {
				edited = append(edited, fmt.Sprintf("%s:%d", r.File, r.Line))
			}
		}
		// bump edits every reference in scope (a chart's own values.yaml
		// too); the finding's line must be one of them.
		if !slices.Contains(edited, at) {
			t.Errorf("%s: bump --dry-run edits %v, not %s the finding names", name, edited, at)
		}
	}
}

// TestBumpNeverFollowsSymlinksOutOfTheRoot: bump reads the checkout through
// rootfs. A file or directory symlinked from outside the root is never read
// or edited, even when it is the only reference; a file symlinked inside
// the root is edited once, in its target, and the link stays a link.
func TestBumpNeverFollowsSymlinksOutOfTheRoot(t *testing.T) {
	outside := t.TempDir()
	values := "image:\n  repository: registry.example/org/app\n  tag: 1.0.0\n"
	writeFiles(t, outside, map[string]string{"values.yaml": values, "dir/values.yaml": values})
	root := bumpRepo(t, map[string]string{"README.md": "config\n"})
	if err := os.MkdirAll(filepath.Join(root, "clusters/prod"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, filepath.Join(outside, "values.yaml"), filepath.Join(root, "clusters/prod/values.yaml"))
	symlink(t, filepath.Join(outside, "dir"), filepath.Join(root, "clusters/prod/linked"))

	code, _, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/app", "--tag", "2.0.0", "--no-verify")
	if code != exitFindings || !strings.Contains(stderr, "referenced nowhere in the 0 YAML files") {
		t.Fatalf("exit %d, want a refusal that read no file\n%s", code, stderr)
	}
	for _, p := range []string{"values.yaml", "dir/values.yaml"} {
		if got := readFile(t, filepath.Join(outside, p)); got != values {
			t.Errorf("%s outside the root was edited:\n%s", p, got)
		}
	}

	// inside the root: the link's target is edited once
	writeFiles(t, root, map[string]string{"shared/values.yaml": values})
	symlink(t, "../../shared/values.yaml", filepath.Join(root, "clusters/prod/in.yaml"))
	code, stdout, stderr := runCLI(t, "bump", "--root", root, "--image", "registry.example/org/app", "--tag", "2.0.0", "--no-verify")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := readFile(t, filepath.Join(root, "shared/values.yaml")); !strings.Contains(got, "tag: 2.0.0") {
		t.Errorf("in-root target not edited:\n%s", got)
	}
	if st, err := os.Lstat(filepath.Join(root, "clusters/prod/in.yaml")); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the in-root link was replaced: %v", err)
	}
	if got := readFile(t, filepath.Join(outside, "values.yaml")); got != values {
		t.Errorf("outside file edited:\n%s", got)
	}
}
