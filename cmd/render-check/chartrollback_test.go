package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRollbackChartVersion(t *testing.T) {
	tmpl := map[string]string{
		"templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector:\n    matchLabels: {app: cache}\n  template:\n    metadata:\n      labels: {app: cache}\n    spec:\n      containers:\n        - name: cache\n          image: docker.io/library/redis:{{ .Chart.Version }}\n",
	}
	archives := map[string][]byte{}
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		files := map[string]string{}
		for k, c := range tmpl {
			files[k] = c
		}
		archives[v] = chartArchive(t, "cache", v, files)
	}
	var serve110 atomic.Bool
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index.yaml" {
			fmt.Fprint(w, "apiVersion: v1\nentries:\n  cache:\n")
			for _, v := range []string{"1.2.0", "1.1.0", "1.0.0"} {
				fmt.Fprintf(w, "    - apiVersion: v2\n      name: cache\n      version: %s\n      urls: [%s/cache-%s.tgz]\n", v, srv.URL, v)
			}
			return
		}
		for v, tgz := range archives {
			if r.URL.Path == "/cache-"+v+".tgz" && (v != "1.1.0" || serve110.Load()) {
				_, _ = w.Write(tgz)
				return
			}
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()

	root := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "-b", "main", root).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	app := func(version string) string {
		return historyApp("cache", "  source:\n    repoURL: "+srv.URL+"\n    chart: cache\n    targetRevision: "+version+"   # pinned\n")
	}
	writeFiles(t, root, map[string]string{
		".render-check.yaml":               "repoURLs:\n  - https://git.example/config.git\nrender:\n  chartCacheDir: " + t.TempDir() + "\n",
		"clusters/prod/apps/cache.yaml":    app("1.0.0"),
		"clusters/staging/apps/cache.yaml": app("1.0.0"),
	})
	gitAs(t, root, "Ann", "cache 1.0.0")
	writeFiles(t, root, map[string]string{"clusters/prod/apps/cache.yaml": app("1.1.0")})
	gitAs(t, root, "Bob", "cache 1.1.0 to prod")
	writeFiles(t, root, map[string]string{"clusters/prod/apps/cache.yaml": app("1.2.0")})
	c3 := gitAs(t, root, "Cat", "cache 1.2.0 to prod")
	prod := filepath.Join(root, "clusters/prod/apps/cache.yaml")

	// the inventory and the rollbacks render through one render cache
	cache := t.TempDir()
	code, stdout, stderr := runCLI(t, "inventory", "--root", root, "--cache-dir", cache)
	if want := "prod/cache\tchart\tcache 1.2.0 (" + srv.URL + ")\tclusters/prod/apps/cache.yaml:11\t" + c3[:12] + " 2026-03-03 Cat: cache 1.2.0 to prod\n"; code != exitOK || !strings.Contains(stdout, want) {
		t.Fatalf("inventory: exit %d\n%s\nwant line:\n%s\n%s", code, stdout, want, stderr)
	}

	// 1.1.0 cannot be pulled: the re-render fails and the file is put back.
	code, _, stderr = runCLI(t, "rollback", "--root", root, "--chart", "cache", "--cluster", "prod", "--cache-dir", cache)
	if code != exitFindings || !strings.Contains(stderr, "does not render (the edit was put back)") {
		t.Fatalf("unpullable: exit %d\n%s", code, stderr)
	}
	if got := readFile(t, prod); got != app("1.2.0") {
		t.Fatalf("a refused rollback left:\n%s", got)
	}
	serve110.Store(true)

	code, stdout, stderr = runCLI(t, "rollback", "--root", root, "--chart", "cache", "--cluster", "prod", "--dry-run")
	if code != exitOK || !strings.Contains(stdout, "-    targetRevision: 1.2.0   # pinned\n+    targetRevision: 1.1.0   # pinned\n") || readFile(t, prod) != app("1.2.0") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	before := cacheEntries(t, cache, "trusted")
	aged := ageEntries(t, cache)
	code, stdout, stderr = runCLI(t, "rollback", "--root", root, "--chart", "cache", "--cluster", "prod", "--format", "json", "--cache-dir", cache)
	var out struct {
		From, To      string
		RenderChecked bool
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &out) != nil || out.From != "1.2.0" || out.To != "1.1.0" || !out.RenderChecked {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := readFile(t, prod); got != app("1.1.0") {
		t.Errorf("prod after rollback:\n%s", got)
	}
	// the inventory read both apps from the cache (the failed render of
	// 1.1.0 stored nothing), the re-render of prod with 1.1.0 stored one
	hit, after := hitEntries(t, cache, aged), cacheEntries(t, cache, "trusted")
	if len(before) != 2 || len(hit) != 2 || !slices.Contains(hit, before[0]) || !slices.Contains(hit, before[1]) || len(after) != 3 {
		t.Errorf("entries before the rollback %v, used %v, after %v: want both used and one new", before, hit, after)
	}
	code, stdout, _ = runCLI(t, "inventory", "--root", root, "--cluster", "prod", "--no-history", "--cache-dir", cache)
	if want := "prod/cache\tchart\tcache 1.1.0 ("; code != exitOK || !strings.Contains(stdout, want) {
		t.Errorf("inventory after the rollback:\n%s\nwant a line with %q", stdout, want)
	}
	if got := readFile(t, filepath.Join(root, "clusters/staging/apps/cache.yaml")); got != app("1.0.0") {
		t.Errorf("staging changed:\n%s", got)
	}
	// staging's version was added, never changed; bad flags are exit 2.
	if code, _, stderr := runCLI(t, "rollback", "--root", root, "--chart", "cache", "--cluster", "staging"); code != exitFindings || !strings.Contains(stderr, "added this line") {
		t.Errorf("staging: exit %d\n%s", code, stderr)
	}
	if code, _, _ := runCLI(t, "rollback", "--root", root, "--chart", "cache", "--image", "x/y", "--cluster", "prod"); code != exitError {
		t.Errorf("--chart with --image: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "rollback", "--root", root, "--chart", "cache", "--cluster", "nope"); code != exitError {
		t.Errorf("unknown cluster: exit %d, want 2", code)
	}
}
