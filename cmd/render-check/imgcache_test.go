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

// TestDeprecatedImagesCacheDir: a config that still sets the old
// images.cacheDir loads, gives exactly one note (at the key's line, in JSON
// and text), writes nothing to that directory, and found images are still
// kept across runs by the verdict cache under --cache-dir: with the
// registry stopped, the tag and the digest are found from it.
func TestDeprecatedImagesCacheDir(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registrytest.Start(t, registrytest.Options{})
	digest := reg.Push(t, reg.Ref("shop/web", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	root := writeRepo(t, map[string]string{
		".render-check.yaml": fmt.Sprintf("repoURLs: [https://git.example.com/config.git]\nimages:\n  insecure: [%q]\n  cacheDir: .cache/images\n", reg.Host),
		"clusters/c1/apps/web.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/config.git, path: apps/web, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: web}
`,
		"apps/web/deploy.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: a, image: %s}
      - {name: b, image: %s}
`, reg.Ref("shop/web", ":1.0"), reg.Ref("shop/web", "@"+digest)),
	})
	cache := t.TempDir()
	const note = ".render-check.yaml:4: images.cacheDir is deprecated and has no effect"
	check := func(what string) report.CacheSummary {
		t.Helper()
		_, raw, _ := runCheckJSON(t, root, "--cache-dir", cache, "--images", "verify")
		var rep report.Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatal(err)
		}
		var deprecated []string
		for _, n := range rep.Notes {
			if strings.Contains(n, "cacheDir") {
				deprecated = append(deprecated, n)
			}
		}
		if len(deprecated) != 1 || !strings.HasPrefix(deprecated[0], note) {
			t.Errorf("%s: notes %q, want one %q", what, rep.Notes, note)
		}
		for _, f := range rep.Findings {
			if strings.HasPrefix(f.Rule, "image/") || strings.Contains(f.Message, "cacheDir") {
				t.Errorf("%s: finding %s %s", what, f.Rule, f.Message)
			}
		}
		if rep.Summary.Cache == nil {
			t.Fatalf("%s: no cache summary", what)
		}
		return *rep.Summary.Cache
	}
	if c := check("cold"); c.VerdictHits != 0 {
		t.Errorf("cold: %+v", c)
	}
	reg.Stop()
	if c := check("registry stopped"); c.VerdictHits < 2 {
		t.Errorf("registry stopped: %+v, want both images from the verdict cache", c)
	}
	if _, err := os.Stat(filepath.Join(root, ".cache")); !os.IsNotExist(err) {
		t.Errorf("images.cacheDir was written: %v", err)
	}
	var out, errb bytes.Buffer
	run(context.Background(), []string{"check", "--root", root, "--cache-dir", cache, "--images", "verify"}, strings.NewReader(""), &out, &errb)
	if n := strings.Count(out.String()+errb.String(), "images.cacheDir is deprecated"); n != 1 {
		t.Errorf("text output names the deprecation %d times, want 1:\n%s\n%s", n, out.String(), errb.String())
	}
}
