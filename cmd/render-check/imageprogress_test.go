package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/registry/registrytest"
)

// TestCheckProgressCountsImages: the image stage reports distinct images
// checked out of the total while it runs (plain: log lines ending with the
// full count; tty: the one rewritten line), against a real registry.
func TestCheckProgressCountsImages(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	reg := registrytest.Start(t, registrytest.Options{})
	reg.Push(t, reg.Ref("shop/web", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	reg.Push(t, reg.Ref("shop/api", ":2.0"), registrytest.RandomImage(t, "linux/amd64"))
	containers := ""
	// 3 distinct images (one missing), one of them used twice
	for i, img := range []string{reg.Ref("shop/web", ":1.0"), reg.Ref("shop/api", ":2.0"), reg.Ref("shop/web", ":1.0"), reg.Ref("shop/gone", ":9")} {
		containers += fmt.Sprintf("      - name: c%d\n        image: %s\n", i, img)
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		".render-check.yaml": fmt.Sprintf("repoURLs: [https://git.example/config.git]\nimages:\n  insecure: [%q]\n", reg.Host),
		"clusters/prod/apps/web.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
  source:
    repoURL: https://git.example/config.git
    targetRevision: HEAD
    path: apps/web
`,
		"apps/web/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
` + containers,
	})
	code, _, stderr := runCLI(t, "check", "--root", root, "--images", "verify", "--format", "json", "--progress", "plain")
	if code != exitFindings {
		t.Errorf("exit %d, want %d (one missing image)", code, exitFindings)
	}
	counts := regexp.MustCompile(`(?m)^render-check: image: (\d)/(\d) images$`).FindAllStringSubmatch(stderr, -1)
	if len(counts) == 0 || counts[0][1] != "1" || counts[len(counts)-1][1] != "3" || counts[len(counts)-1][2] != "3" {
		t.Fatalf("image progress: want 1/3 first and 3/3 last:\n%s", stderr)
	}
	if !strings.Contains(stderr, "render-check: image: 1 findings") {
		t.Errorf("no image stage summary:\n%s", stderr)
	}
	_, _, stderr = runCLI(t, "check", "--root", root, "--images", "verify", "--format", "json", "--progress", "tty")
	if !strings.Contains(stderr, "\r\x1b[Kimage: 3/3 images") || strings.Contains(stderr, "\n") {
		t.Errorf("tty image progress is not the one rewritten line: %q", stderr)
	}
	// --images off: no image count
	_, _, stderr = runCLI(t, "check", "--root", root, "--images", "off", "--format", "json", "--progress", "plain")
	if strings.Contains(stderr, " images") {
		t.Errorf("image progress with --images off:\n%s", stderr)
	}
}
