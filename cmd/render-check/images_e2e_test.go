package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/registry/registrytest"
	"github.com/render-check/render-check/internal/report"
)

// TestCheckImagesEndToEnd runs `render-check check` on a small config repo
// whose Deployment points at a real docker-registry on 127.0.0.1, configured
// as insecure in .render-check.yaml.
func TestCheckImagesEndToEnd(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registrytest.Start(t, registrytest.Options{})
	reg.Push(t, reg.Ref("shop/web", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))

	root := t.TempDir()
	files := map[string]string{
		".render-check.yaml": fmt.Sprintf(`repoURLs: [https://git.example/config.git]
images:
  insecure: [%q]
`, reg.Host),
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
		"apps/web/deploy.yaml": fmt.Sprintf(`apiVersion: apps/v1
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
      - name: web
        image: %s
      - name: sidecar
        image: %s
`, reg.Ref("shop/web", ":1.0"), reg.Ref("shop/web", ":1.1")),
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	runJSON := func(extra ...string) (int, report.Report, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args := append([]string{"check", "--root", root, "--format", "json"}, extra...)
		code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
		var rep report.Report
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("exit %d, bad json: %v\nstdout:\n%s\nstderr:\n%s", code, err, stdout.String(), stderr.String())
		}
		return code, rep, stdout.String() + stderr.String()
	}

	code, rep, out := runJSON()
	var imageFindings []report.Finding
	for _, f := range rep.Findings {
		if f.Check() == "image" {
			imageFindings = append(imageFindings, f)
		}
	}
	if code != exitFindings || len(imageFindings) != 1 {
		t.Fatalf("exit %d, image findings %+v, want exit 1 and one finding\n%s", code, imageFindings, out)
	}
	f := imageFindings[0]
	if f.Rule != "image/tag-not-found" || f.Severity != report.SeverityError || f.Cluster != "prod" || f.App != "web" ||
		f.File != "apps/web/deploy.yaml" || f.Line != 16 || f.Message != reg.Ref("shop/web", ":1.1")+": tag not found" {
		t.Fatalf("finding %+v", f)
	}

	code, rep, out = runJSON("--images", "warn")
	for _, f := range rep.Findings {
		if f.Check() == "image" && f.Severity != report.SeverityWarning {
			t.Fatalf("--images warn left %+v\n%s", f, out)
		}
	}
	if rep.Summary.Errors == 0 && code != exitOK {
		t.Fatalf("--images warn with only warnings: exit %d\n%s", code, out)
	}

	_, rep, out = runJSON("--platforms", "linux/amd64,linux/arm64")
	var platformFindings []report.Finding
	for _, f := range rep.Findings {
		if f.Rule == "image/platform-missing" {
			platformFindings = append(platformFindings, f)
		}
	}
	if len(platformFindings) != 1 || platformFindings[0].Line != 14 ||
		platformFindings[0].Message != reg.Ref("shop/web", ":1.0")+": missing platform linux/arm64 (has linux/amd64)" {
		t.Fatalf("--platforms: %+v\n%s", platformFindings, out)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"check", "--root", root, "--platforms", "linux"}, strings.NewReader(""), &stdout, &stderr); code != exitError {
		t.Fatalf("--platforms linux: exit %d, want %d\n%s", code, exitError, stderr.String())
	}

	_, rep, out = runJSON("--images", "off")
	for _, f := range rep.Findings {
		if f.Check() == "image" {
			t.Fatalf("--images off reported %+v\n%s", f, out)
		}
	}
	if !strings.Contains(strings.Join(rep.Skipped, "\n"), "image: --images off") {
		t.Fatalf("--images off not reported as skipped: %v", rep.Skipped)
	}
}
