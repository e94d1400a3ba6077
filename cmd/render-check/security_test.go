package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/render-check/render-check/internal/report"
)

// clearCIEnv makes trust detection start from a plain local run.
func clearCIEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"GITHUB_ACTIONS", "GITHUB_EVENT_NAME", "GITLAB_CI", "CI_PIPELINE_SOURCE", "RENDER_CHECK_TRUST", "RENDER_CHECK_NETWORK"} {
		t.Setenv(k, "")
	}
}

// kustomizeApp is a cluster with one kustomize Application at apps/app.
func kustomizeApp(kustomization string, extra map[string]string) map[string]string {
	files := map[string]string{
		".github/CODEOWNERS": checkOwners,
		".render-check.yaml": checkConfig,
		"clusters/lab/apps/app.yaml": checkApp("app", `  source:
    repoURL: https://git.example.com/platform/config.git
    targetRevision: main
    path: apps/app
`),
		"apps/app/kustomization.yaml": kustomization,
		"apps/app/cm.yaml":            okConfigMap,
	}
	for k, v := range extra {
		files[k] = v
	}
	return files
}

// TestSecurityKustomizeGitOptionInjection: a remote base whose ref is a git
// option (--upload-pack=<command>) must never reach git, on any run, with
// any network policy; nor may file:// or http:// bases or a stretched
// ?timeout=.
func TestSecurityKustomizeGitOptionInjection(t *testing.T) {
	clearCIEnv(t)
	mark := filepath.Join(t.TempDir(), "MARK")
	cases := map[string]string{
		"upload-pack via ref":  "file:///x?ref=--upload-pack=touch%20" + strings.ReplaceAll(mark, "/", "%2F") + "%3Becho",
		"upload-pack via host": "https://127.0.0.1:1/--upload-pack=touch/repo",
		"file scheme":          "file:///etc/repo",
		"plain http":           "http://127.0.0.1:1/org/repo",
		"dash ref":             "https://127.0.0.1:1/org/repo?ref=-c",
		"stretched timeout":    "https://127.0.0.1:1/org/repo?timeout=10h",
		"dash path":            "git@127.0.0.1:-oProxyCommand=touch/repo",
	}
	for name, entry := range cases {
		t.Run(name, func(t *testing.T) {
			root := checkRepo(t, kustomizeApp("resources:\n  - cm.yaml\n  - "+entry+"\n", nil))
			code, rep, stderr := checkJSON(t, root, "--trusted", "--network", "all")
			if rep == nil {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			f := findRule(rep, "render/failed", "app")
			if f == nil || !strings.Contains(f.Message, "refused") || f.File != "apps/app/kustomization.yaml" || f.Line != 3 {
				t.Fatalf("want a render/failed refusal at apps/app/kustomization.yaml:3, got %+v", rep.Findings)
			}
			if _, err := os.Stat(mark); err == nil {
				t.Fatal("the injected command ran")
			}
		})
	}
}

// TestSecurityNetworkPolicy: on an untrusted run nothing remote is fetched
// unless the trusted side lists the host, and each source left unrendered
// is a render/remote-refused finding.
func TestSecurityNetworkPolicy(t *testing.T) {
	clearCIEnv(t)
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer srv.Close()
	files := map[string]string{
		".github/CODEOWNERS": checkOwners,
		// the repo tries to open the network itself: ignored when untrusted
		".render-check.yaml": checkConfig + "network: all\n",
		"clusters/lab/apps/chart.yaml": checkApp("chart", `  source:
    repoURL: `+srv.URL+`
    chart: anything
    targetRevision: 1.0.0
`),
		"clusters/lab/apps/kust.yaml": checkApp("kust", `  source:
    repoURL: https://git.example.com/platform/config.git
    targetRevision: main
    path: apps/kust
`),
		"apps/kust/kustomization.yaml": "resources:\n  - " + strings.Replace(srv.URL, "http:", "https:", 1) + "/cm.yaml\n",
	}
	root := checkRepo(t, files)
	code, rep, stderr := checkJSON(t, root, "--untrusted")
	if rep == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, app := range []string{"chart", "kust"} {
		f := findRule(rep, "render/remote-refused", app)
		if f == nil || f.Severity != report.SeverityWarning || !strings.Contains(f.Message, `network policy is "off"`) {
			t.Errorf("%s: want render/remote-refused, got %+v", app, rep.Findings)
		}
	}
	if f := findRule(rep, "repo/untrusted-setting", ""); f == nil || f.File != ".render-check.yaml" || f.Line != 2 || !strings.Contains(f.Message, "network") {
		t.Errorf("want repo/untrusted-setting for network at .render-check.yaml:2, got %+v", rep.Findings)
	}
	if hits != 0 {
		t.Fatalf("the untrusted run made %d requests", hits)
	}
	// the trusted side lists the host: fetched (and the 404s are ordinary findings)
	host := strings.TrimPrefix(srv.URL, "http://")
	_, rep, _ = checkJSON(t, root, "--untrusted", "--network", host)
	if findRule(rep, "render/remote-refused", "") != nil || hits == 0 {
		t.Fatalf("listed host: hits %d, findings %+v", hits, rep.Findings)
	}
}

// TestSecurityRepoConfigCannotChooseCredentials: the repo's own config names
// an attacker's registry, marks it insecure and maps CI secrets to its
// credentials. On a pull request run neither secret is sent; on a trusted
// run (a push build, locally) the same config is honoured with no flags.
func TestSecurityRepoConfigCannotChooseCredentials(t *testing.T) {
	clearCIEnv(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("CI_DEPLOY_KEY", "testonly-not-a-real-key")
	t.Setenv("GITHUB_TOKEN", "ghs_testonlynotarealtoken")
	var mu sync.Mutex
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS": checkOwners,
		".render-check.yaml": checkConfig + fmt.Sprintf(`images:
  insecure: [%q]
  credentials:
    - registry: %q
      usernameEnv: CI_DEPLOY_KEY
      passwordEnv: GITHUB_TOKEN
`, host, host),
		"clusters/lab/apps/web.yaml": checkApp("web", `  source:
    repoURL: https://git.example.com/platform/config.git
    targetRevision: main
    path: apps/web
`),
		"apps/web/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: " + host + "/x/web:1.0\n",
	})
	leaked := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range auths {
			if a != "" {
				return true
			}
		}
		return false
	}
	for _, env := range []map[string]string{
		{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request"},
		{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target"},
		{"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event"},
	} {
		for k, v := range env {
			t.Setenv(k, v)
		}
		code, rep, stderr := checkJSON(t, root, "--images", "verify", "--format", "json")
		if rep == nil {
			t.Fatalf("%v: exit %d: %s", env, code, stderr)
		}
		if leaked() {
			t.Fatalf("%v: credentials sent to the repo's registry: %q", env, auths)
		}
		var keys []string
		for _, f := range rep.Findings {
			if f.Rule == "repo/untrusted-setting" {
				keys = append(keys, f.Message[:strings.Index(f.Message, " ")])
			}
		}
		slices.Sort(keys)
		if strings.Join(keys, ",") != "images.credentials,images.insecure" {
			t.Fatalf("%v: repo/untrusted-setting for %v, findings %+v", env, keys, rep.Findings)
		}
		clearCIEnv(t)
	}
	// the same repo on a trusted run: the config is the owner's, honoured
	if _, rep, stderr := checkJSON(t, root, "--images", "verify"); rep == nil || !leaked() {
		t.Fatalf("trusted run did not use the configured credentials: %s %+v", stderr, auths)
	}
}

// TestSecurityRepoConfigCannotLiftLoadRestrictor: the repo's own
// kustomizeBuildOptions may not lift the load restrictor on an untrusted run.
func TestSecurityRepoConfigCannotLiftLoadRestrictor(t *testing.T) {
	clearCIEnv(t)
	root := checkRepo(t, kustomizeApp("resources:\n  - ../../outside/cm.yaml\n", map[string]string{
		".render-check.yaml": checkConfig + "render:\n  kustomizeBuildOptions: --load-restrictor LoadRestrictionsNone\n",
		"outside/cm.yaml":    okConfigMap,
	}))
	_, rep, _ := checkJSON(t, root)
	if f := findRule(rep, "render/failed", "app"); f != nil {
		t.Fatalf("trusted run: %+v", f)
	}
	_, rep, _ = checkJSON(t, root, "--untrusted")
	if f := findRule(rep, "render/failed", "app"); f == nil || !strings.Contains(f.Message, "security") && !strings.Contains(f.Message, "restrict") {
		t.Fatalf("untrusted run: want a load-restrictor failure, got %+v", rep.Findings)
	}
	if f := findRule(rep, "repo/untrusted-setting", ""); f == nil || !strings.HasPrefix(f.Message, "render.kustomizeBuildOptions") {
		t.Fatalf("want repo/untrusted-setting, got %+v", rep.Findings)
	}
}
