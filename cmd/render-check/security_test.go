package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// outsideSecret is a directory outside the checkout holding a file whose
// content must never reach any output.
const outsideSecretValue = "TOPSECRET-OUTSIDE-THE-ROOT"

func outsideDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	writeFiles(t, d, map[string]string{
		"env":                     "GITHUB_TOKEN=" + outsideSecretValue + "\n",
		"templates/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  v: " + outsideSecretValue + "\n",
		"manifests/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  v: " + outsideSecretValue + "\n",
		"base/kustomization.yaml": "resources:\n  - cm.yaml\n",
		"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  v: " + outsideSecretValue + "\n",
		"chart/Chart.yaml":        "apiVersion: v2\nname: dep\nversion: 1.0.0\n",
		"chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  v: " + outsideSecretValue + "\n",
		"values.yaml":             "v: " + outsideSecretValue + "\n",
	})
	return d
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestSecuritySymlinksOutOfTheRoot: every way a pull request can point a
// read outside the checkout (Helm .Files through a symlink, a symlinked
// templates/ dir, a file:// dependency outside, a symlinked value file, a
// source path through a symlinked directory, a kustomize base reached by
// symlink) is refused with a finding naming the link, and the outside
// content reaches neither the report nor `render` output.
func TestSecuritySymlinksOutOfTheRoot(t *testing.T) {
	clearCIEnv(t)
	out := outsideDir(t)
	app := func(name, path, extra string) string {
		return checkApp(name, `  source:
    repoURL: https://git.example.com/platform/config.git
    targetRevision: main
    path: `+path+"\n"+extra)
	}
	chart := func(dir string) map[string]string {
		return map[string]string{
			dir + "/Chart.yaml":        "apiVersion: v2\nname: " + filepath.Base(dir) + "\nversion: 1.0.0\n",
			dir + "/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: files\ndata:\n  env: {{ .Files.Get \"files/env\" | quote }}\n  v: {{ .Values.v | default \"none\" | quote }}\n",
		}
	}
	files := map[string]string{
		".github/CODEOWNERS":             checkOwners,
		".render-check.yaml":             checkConfig,
		"clusters/lab/apps/files.yaml":   app("files", "charts/files", ""),
		"clusters/lab/apps/tpl.yaml":     app("tpl", "charts/tpl", ""),
		"clusters/lab/apps/dep.yaml":     app("dep", "charts/dep", ""),
		"clusters/lab/apps/values.yaml":  app("values", "charts/values", "    helm:\n      valueFiles: [values-link.yaml]\n"),
		"clusters/lab/apps/dir.yaml":     app("dir", "apps/linked/manifests", ""),
		"clusters/lab/apps/kust.yaml":    app("kust", "apps/kust", ""),
		"clusters/lab/apps/chart.yaml":   app("chart", "charts/linked", ""),
		"apps/kust/kustomization.yaml":   "resources:\n  - ../base-link\n",
		"charts/tpl/Chart.yaml":          "apiVersion: v2\nname: tpl\nversion: 1.0.0\n",
		"charts/dep/Chart.yaml":          "apiVersion: v2\nname: dep\nversion: 1.0.0\ndependencies:\n  - name: dep\n    version: 1.0.0\n    repository: file://" + filepath.Join(out, "chart") + "\n",
		"charts/dep/templates/none.yaml": "# nothing\n",
	}
	for k, v := range chart("charts/files") {
		files[k] = v
	}
	for k, v := range chart("charts/values") {
		files[k] = v
	}
	root := checkRepo(t, files)
	symlink(t, filepath.Join(out, "env"), filepath.Join(root, "charts/files/files/env"))
	symlink(t, filepath.Join(out, "templates"), filepath.Join(root, "charts/tpl/templates"))
	symlink(t, filepath.Join(out, "values.yaml"), filepath.Join(root, "charts/values/values-link.yaml"))
	symlink(t, out, filepath.Join(root, "apps/linked"))
	symlink(t, filepath.Join(out, "base"), filepath.Join(root, "apps/base-link"))
	symlink(t, filepath.Join(out, "chart"), filepath.Join(root, "charts/linked"))

	args := []string{"check", "--root", root, "--format", "json", "--images", "off"}
	var stdout, stderr strings.Builder
	code := run(t.Context(), args, strings.NewReader(""), &stdout, &stderr)
	if strings.Contains(stdout.String()+stderr.String(), outsideSecretValue) {
		t.Fatalf("content from outside the root reached the report:\n%s", stdout.String())
	}
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	rep := decodeReport(t, stdout.String())
	// one bad symlink, one finding: at the link, naming the app it broke;
	// the render failure and the "does not exist" views fold into it
	want := map[string]string{ // app -> the link that broke it
		"files":  "charts/files/files/env",
		"tpl":    "charts/tpl/templates",
		"values": "charts/values/values-link.yaml",
		"dir":    "apps/linked",
		"kust":   "apps/base-link",
		"chart":  "charts/linked",
	}
	links := map[string]report.Finding{}
	for _, f := range rep.Findings {
		if f.Rule == "render/symlink-out-of-bounds" {
			links[f.File] = f
		}
	}
	if len(links) != 6 {
		t.Errorf("want 6 render/symlink-out-of-bounds findings, got %d: %+v", len(links), rep.Findings)
	}
	for app, link := range want {
		f, ok := links[link]
		if !ok || !slices.Contains(f.Targets(), report.Target{Cluster: "lab", App: app}) {
			t.Errorf("%s: no symlink finding at %s naming the app: %+v", app, link, f)
		}
		for _, g := range rep.Findings {
			if g.App == app && g.Rule != "render/symlink-out-of-bounds" {
				t.Errorf("%s: a second finding for the link %s: %s %s:%d %s", app, link, g.Rule, g.File, g.Line, g.Message)
			}
		}
	}
	if f := findRule(rep, "render/failed", "dep"); f == nil || f.File != "charts/dep/Chart.yaml" {
		t.Errorf("dep: want render/failed at its Chart.yaml, got %+v", f)
	}

	// render --output-dir: nothing from outside is written either
	dir := t.TempDir()
	stdout.Reset()
	run(t.Context(), []string{"render", "--root", root, "--output-dir", dir}, strings.NewReader(""), &stdout, &stderr)
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), outsideSecretValue) {
				t.Errorf("render wrote outside content into %s", p)
			}
		}
		return nil
	})
}

func decodeReport(t *testing.T, s string) *report.Report {
	t.Helper()
	var rep report.Report
	if err := json.Unmarshal([]byte(s), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return &rep
}

// TestSecurityBounds: runaway apps (a deep flow YAML, a Helm loop past the
// deadline, too many documents, exponential app-of-apps fan-out) each
// become a render/limit finding naming the app and the limit, and the rest
// of the run goes on.
func TestSecurityBounds(t *testing.T) {
	clearCIEnv(t)
	local := func(name, path string) string {
		return checkApp(name, "  source:\n    repoURL: https://git.example.com/platform/config.git\n    targetRevision: main\n    path: "+path+"\n")
	}
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS":           checkOwners,
		".render-check.yaml":           checkConfig + "render:\n  limits: {timeout: 300ms, maxDocuments: 50, maxAppsPerCluster: 12}\n",
		"clusters/lab/apps/deep.yaml":  local("deep", "deep"),
		"deep/cm.yaml":                 "a: " + strings.Repeat("[", 40000) + strings.Repeat("]", 40000) + "\n",
		"clusters/lab/apps/loop.yaml":  local("loop", "charts/loop"),
		"charts/loop/Chart.yaml":       "apiVersion: v2\nname: loop\nversion: 1.0.0\n",
		"charts/loop/templates/x.yaml": "{{- range until 200 }}{{ range until 1000000 }}{{ end }}{{ end }}\n",
		"clusters/lab/apps/many.yaml":  local("many", "charts/many"),
		"charts/many/Chart.yaml":       "apiVersion: v2\nname: many\nversion: 1.0.0\n",
		"charts/many/templates/x.yaml": "{{- range until 60 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{{ . }}\n{{- end }}\n",
		"clusters/lab/apps/fan.yaml":   local("fan", "charts/fan"),
		"charts/fan/Chart.yaml":        "apiVersion: v2\nname: fan\nversion: 1.0.0\n",
		"charts/fan/templates/x.yaml": `{{- range list "a" "b" }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ $.Release.Name }}-{{ . }}
  namespace: argocd
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: fan}
  source: {repoURL: https://git.example.com/platform/config.git, targetRevision: main, path: charts/fan}
{{- end }}
`,
		"clusters/lab/apps/fine.yaml": local("fine", "fine"),
		"fine/cm.yaml":                okConfigMap,
	})
	code, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for app, limit := range map[string]string{"deep": "YAML depth", "loop": "render deadline", "many": "documents", "fan": "apps per cluster"} {
		found := false
		for _, f := range rep.Findings {
			if f.Rule == "render/limit" && strings.Contains(f.Message, limit) && (f.App == app || strings.HasPrefix(f.App, app+"-")) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no render/limit finding for %s: %+v", app, limit, rep.Findings)
		}
	}
	if f := findRule(rep, "render/failed", "fine"); f != nil {
		t.Errorf("the fine app failed: %+v", f)
	}
	apps := 0
	for _, c := range rep.Clusters {
		apps += len(c.Apps)
	}
	if apps > 12 {
		t.Errorf("%d apps rendered, the cap is 12", apps)
	}
}

// fakeToken has the shape of a GitHub token (the detectors recognise it).
const fakeToken = "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"

// TestSecurityRedaction: credentials quoted by kustomize, kyaml or Helm in
// an error, and credentials in non-Secret kinds, never reach the report,
// `render` output or `diff`.
func TestSecurityRedaction(t *testing.T) {
	clearCIEnv(t)
	local := func(name, path string) string {
		return checkApp(name, "  source:\n    repoURL: https://git.example.com/platform/config.git\n    targetRevision: main\n    path: "+path+"\n")
	}
	root := checkRepo(t, map[string]string{
		".github/CODEOWNERS":          checkOwners,
		".render-check.yaml":          checkConfig,
		"clusters/lab/apps/kust.yaml": local("kust", "kust"),
		"kust/kustomization.yaml": `resources: [cm.yaml]
patches:
  - patch: |-
      apiVersion: v1
      kind: Secret
      metadata:
        name: db
      stringData:
        password: ` + fakeToken + `
      - broken: [
`,
		"kust/cm.yaml":                 okConfigMap,
		"clusters/lab/apps/tpl.yaml":   local("tpl", "charts/tpl"),
		"charts/tpl/Chart.yaml":        "apiVersion: v2\nname: tpl\nversion: 1.0.0\n",
		"charts/tpl/values.yaml":       "token: \"" + fakeToken + " {{ .Values.nope.deeper }}\"\n",
		"charts/tpl/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: {{ tpl .Values.token . | quote }}\n",
		"clusters/lab/apps/env.yaml":   local("env", "env"),
		"env/deploy.yaml":              "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n      env:\n        - name: DB_PASSWORD\n          value: hunter2-plaintext-value\n        - name: TOKEN\n          value: " + fakeToken + "\n",
		"env/pem.yaml":                 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tls\ndata:\n  key.pem: |\n    -----BEGIN RSA PRIVATE KEY-----\n    MIIEowIBAAKCAQEA0000000000000000000000000000000000000000000000000000\n    -----END RSA PRIVATE KEY-----\n",
	})
	var stdout, stderr bytes.Buffer
	run(t.Context(), []string{"check", "--root", root, "--format", "json", "--images", "off"}, strings.NewReader(""), &stdout, &stderr)
	rep := decodeReport(t, stdout.String())
	for _, app := range []string{"kust", "tpl"} {
		if findRule(rep, "render/failed", app) == nil {
			t.Errorf("%s: want a render failure, got %+v", app, rep.Findings)
		}
	}
	out := t.TempDir()
	var rout, rerr bytes.Buffer
	run(t.Context(), []string{"render", "--root", root, "--output-dir", out}, strings.NewReader(""), &rout, &rerr)
	all := stdout.String() + stderr.String() + rout.String() + rerr.String()
	_ = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			all += string(b)
		}
		return nil
	})
	for _, secret := range []string{fakeToken, "hunter2-plaintext-value", "MIIEowIBAAKCAQEA"} {
		if strings.Contains(all, secret) {
			t.Errorf("%s reached the output:\n%s", secret, all)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "lab", "env.yaml")); err != nil || !strings.Contains(string(b), "<redacted>") || !strings.Contains(string(b), "nginx:1.27") {
		t.Errorf("env.yaml: %v\n%s", err, b)
	}
}

// TestSecurityHelmTemplateAllocation: a chart that allocates without bound
// in one template call (repeat, until, seq, indent, randAlphaNum) or by
// doubling a value (cat, printf, concat) gets a render/limit finding at its
// template within a fraction of a second instead of exhausting memory before
// the render deadline; a chart within the bounds renders the same as
// before, and a chart whose total output passes render.limits.maxBytes is
// stopped too.
func TestSecurityHelmTemplateAllocation(t *testing.T) {
	clearCIEnv(t)
	files := map[string]string{
		".github/CODEOWNERS": checkOwners,
		".render-check.yaml": checkConfig + "render:\n  limits: {timeout: 60s, maxBytes: 1048576}\n",
	}
	chart := func(name, tpl string) {
		files["clusters/lab/apps/"+name+".yaml"] = checkApp(name, "  source:\n    repoURL: https://git.example.com/platform/config.git\n    targetRevision: main\n    path: charts/"+name+"\n")
		files["charts/"+name+"/Chart.yaml"] = "apiVersion: v2\nname: " + name + "\nversion: 1.0.0\n"
		files["charts/"+name+"/templates/x.yaml"] = tpl
	}
	hostile := map[string]string{
		"repeat":  `{{ $x := repeat 2000000000 "x" }}`,
		"until":   `{{ range until 100000000 }}{{ end }}`,
		"seq":     `{{ $x := seq 1 1 1000000000 }}`,
		"indent":  `{{ $x := indent 2000000000 "x" }}`,
		"random":  `{{ $x := randAlphaNum 2000000000 }}`,
		"cat":     `{{ $s := "xxxxxxxxxxxxxxxx" }}{{ range until 40 }}{{ $s = cat $s $s }}{{ end }}`,
		"printf":  `{{ $s := "xxxxxxxxxxxxxxxx" }}{{ range until 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}`,
		"concat":  `{{ $l := list 1 }}{{ range until 40 }}{{ $l = concat $l $l }}{{ end }}`,
		"toolong": "{{ range until 12 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{{ . }}\ndata:\n  v: {{ repeat 100000 \"x\" }}\n{{ end }}",
	}
	for name, tpl := range hostile {
		chart(name, tpl)
	}
	chart("fine", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\ndata:\n  a: \"{{ repeat 3 \"ab\" }}-{{ until 3 }}-{{ seq 1 4 }}{{ indent 2 \"x\" }}\"\n")
	root := checkRepo(t, files)
	start := time.Now()
	_, rep, stderr := checkJSON(t, root)
	if rep == nil {
		t.Fatalf("no report: %s", stderr)
	}
	// without the bounds each hostile app would end at the 60 s deadline
	// ("render deadline", not "template value size") if memory lasted
	t.Logf("check took %s", time.Since(start))
	for name := range hostile {
		f := findRule(rep, "render/limit", name)
		want := "template value size"
		if name == "toolong" {
			want = "rendered bytes"
		}
		if f == nil || !strings.Contains(f.Message, want) || f.File != "charts/"+name+"/templates/x.yaml" && name != "toolong" {
			t.Errorf("%s: want render/limit %q at its template, got %+v", name, want, f)
		}
	}
	if f := findRule(rep, "render/failed", "fine"); f != nil {
		t.Errorf("the fine chart failed: %+v", f)
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"render", "--root", root, "--output-dir", dir}, strings.NewReader(""), &out, &errb); code != exitFindings {
		t.Fatalf("render: exit %d: %s", code, errb.String())
	}
	got, err := os.ReadFile(filepath.Join(dir, "lab", "fine.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `a: ababab-[0 1 2]-1 2 3 4  x`; !strings.Contains(string(got), want) {
		t.Errorf("fine chart rendered differently, want %q in:\n%s", want, got)
	}
}
