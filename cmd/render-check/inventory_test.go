package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/render-check/render-check/internal/inventory"
	"github.com/render-check/render-check/internal/registry/registrytest"
)

// historyApp is an Application of the history repo.
func historyApp(name, body string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ` + name + `
  namespace: argocd
spec:
  project: default
` + body + `  destination:
    server: https://kubernetes.default.svc
    namespace: ` + name + `
`
}

// gitAs commits everything as author.
func gitAs(t *testing.T, root, author, msg string) string {
	t.Helper()
	for _, args := range [][]string{
		{"add", "-A"},
		{"-c", "user.email=" + strings.ToLower(author) + "@example.com", "-c", "user.name=" + author, "commit", "-q", "-m", msg},
	} {
		cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
		cmd.Env = append(os.Environ(), fmt.Sprintf("GIT_AUTHOR_DATE=2026-03-%02dT10:00:00Z", len(gitLog(root))+1))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return strings.TrimSpace(gitOut(t, root, "rev-parse", "HEAD"))
}

// gitLog lists the commits of the repo ("" before the first).
func gitLog(root string) []string {
	out, err := exec.Command("git", "-C", root, "log", "--format=%H").Output()
	if err != nil {
		return nil
	}
	return strings.Fields(string(out))
}

func lineAt(file string, line int) string { return fmt.Sprintf("%s:%d", file, line) }

// historyRepo is a two-cluster repo with history: web (a shared Kustomize
// base, each cluster's overlay sets the tag) was bumped twice in prod;
// api is a local Helm chart whose tag comes from each cluster's values.
// It returns the root and the commits in order.
func historyRepo(t *testing.T, webRepo string) (string, []string) {
	t.Helper()
	root := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "-b", "main", root).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	src := func(path string) string {
		return "  source:\n    repoURL: https://git.example/config.git\n    targetRevision: main\n    path: " + path + "\n"
	}
	overlay := func(tag string) string {
		return "resources:\n  - ../../../../_base/web\nimages:\n  - name: " + webRepo + "\n    newTag: \"" + tag + "\"\n"
	}
	files := map[string]string{
		".render-check.yaml":           "repoURLs:\n  - https://git.example/config.git\n",
		"_base/web/kustomization.yaml": "resources:\n  - deployment.yaml\n",
		"_base/web/deployment.yaml": `apiVersion: apps/v1
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
          image: ` + webRepo + `:0.0.1
`,
		"_base/charts/api/Chart.yaml":  "apiVersion: v2\nname: api\nversion: 0.3.0\nappVersion: \"2.0.0\"\n",
		"_base/charts/api/values.yaml": "image:\n  repository: registry.example/org/api\n  tag: \"\"\n",
		"_base/charts/api/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
`,
		"clusters/prod/apps/web.yaml":                      historyApp("web", src("clusters/prod/overlays/web")),
		"clusters/prod/overlays/web/kustomization.yaml":    overlay("1.0.0"),
		"clusters/staging/apps/web.yaml":                   historyApp("web", src("clusters/staging/overlays/web")),
		"clusters/staging/overlays/web/kustomization.yaml": overlay("1.0.0"),
		"clusters/prod/apps/api.yaml": historyApp("api", src("_base/charts/api")+
			"    helm:\n      valueFiles:\n        - /clusters/prod/values/api.yaml\n"),
		"clusters/prod/values/api.yaml": "image:\n  tag: 2.1.0\n",
	}
	writeFiles(t, root, files)
	var commits []string
	commits = append(commits, gitAs(t, root, "Ann", "initial config"))
	writeFiles(t, root, map[string]string{"clusters/prod/overlays/web/kustomization.yaml": overlay("1.1.0")})
	commits = append(commits, gitAs(t, root, "Bob", "web 1.1.0 to prod"))
	// an unrelated change above the tag line moves it down one line
	writeFiles(t, root, map[string]string{"clusters/prod/overlays/web/kustomization.yaml": "# prod web\n" + overlay("1.1.0")})
	commits = append(commits, gitAs(t, root, "Ann", "comment prod web"))
	writeFiles(t, root, map[string]string{"clusters/prod/overlays/web/kustomization.yaml": "# prod web\n" + overlay("1.2.0")})
	commits = append(commits, gitAs(t, root, "Cat", "web 1.2.0 to prod"))
	writeFiles(t, root, map[string]string{"_base/charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.4.0\nappVersion: \"2.0.0\"\n"})
	commits = append(commits, gitAs(t, root, "Dan", "api chart 0.4.0"))
	return root, commits
}

func TestInventoryWhoChangedIt(t *testing.T) {
	root, commits := historyRepo(t, "registry.example/org/web")
	code, stdout, stderr := runCLI(t, "inventory", "--root", root, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal([]byte(stdout), &inv); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	type row struct{ cluster, app, image, at, commit, author string }
	var got []row
	var charts []string
	for _, c := range inv.Clusters {
		for _, a := range c.Apps {
			if a.Failed != "" {
				t.Errorf("%s/%s failed: %s", c.Name, a.Name, a.Failed)
			}
			for _, i := range a.Images {
				r := row{c.Name, a.Name, i.Image, lineAt(i.File, i.Line), "", ""}
				if i.Changed != nil {
					r.commit, r.author = i.Changed.Commit, i.Changed.Author
				}
				got = append(got, r)
			}
			for _, ch := range a.Charts {
				charts = append(charts, c.Name+"/"+a.Name+" "+ch.Name+" "+ch.Version+" "+lineAt(ch.File, ch.Line)+" "+ch.Changed.Author)
			}
		}
	}
	want := []row{
		// The chart's appVersion decides the api tag? No: prod's values
		// file sets 2.1.0, the line a person edits.
		{"prod", "api", "registry.example/org/api:2.1.0", "clusters/prod/values/api.yaml:2", commits[0], "Ann"},
		// Changed twice; moved by a comment in between: the last change names Cat.
		{"prod", "web", "registry.example/org/web:1.2.0", "clusters/prod/overlays/web/kustomization.yaml:6", commits[3], "Cat"},
		{"staging", "web", "registry.example/org/web:1.0.0", "clusters/staging/overlays/web/kustomization.yaml:5", commits[0], "Ann"},
	}
	if len(got) != len(want) {
		t.Fatalf("images:\n%v\nwant:\n%v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("image %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if w := []string{"prod/api api 0.4.0 _base/charts/api/Chart.yaml:3 Dan"}; strings.Join(charts, "\n") != strings.Join(w, "\n") {
		t.Errorf("charts:\n%s\nwant:\n%s", strings.Join(charts, "\n"), strings.Join(w, "\n"))
	}

	// Filters and the other formats.
	code, stdout, stderr = runCLI(t, "inventory", "--root", root, "--cluster", "prod", "--image", "registry.example/org/web", "--format", "markdown")
	if code != exitOK {
		t.Fatalf("markdown: exit %d\n%s", code, stderr)
	}
	wantMD := "## What is deployed\n\n### prod\n\n| App | Image | Tag | Digest | Set at | Last change |\n|---|---|---|---|---|---|\n" +
		"| web | registry.example/org/web | 1.2.0 |  | clusters/prod/overlays/web/kustomization.yaml:6 | " + commits[3][:12] + " 2026-03-04 Cat: web 1.2.0 to prod |\n\n"
	if stdout != wantMD {
		t.Errorf("markdown:\n%s\nwant:\n%s", stdout, wantMD)
	}
	code, stdout, _ = runCLI(t, "inventory", "--root", root, "--cluster", "staging", "--no-history")
	if want := "staging/web\timage\tregistry.example/org/web:1.0.0\tclusters/staging/overlays/web/kustomization.yaml:5\n"; code != exitOK || stdout != want {
		t.Errorf("text: exit %d\n%q\nwant\n%q", code, stdout, want)
	}

	// An uncommitted edit is charged to nobody yet.
	writeFiles(t, root, map[string]string{"clusters/staging/overlays/web/kustomization.yaml": "resources:\n  - ../../../../_base/web\nimages:\n  - name: registry.example/org/web\n    newTag: \"1.0.1\"\n"})
	_, stdout, _ = runCLI(t, "inventory", "--root", root, "--cluster", "staging")
	if !strings.Contains(stdout, "web:1.0.1\tclusters/staging/overlays/web/kustomization.yaml:5\tnot committed yet") {
		t.Errorf("uncommitted:\n%s", stdout)
	}

	for _, bad := range [][]string{{"--format", "yaml"}, {"--cluster", "nope"}, {"--image", "registry.example/org/web:1.0"}, {"--output", "xml=out"}} {
		if code, _, stderr := runCLI(t, append([]string{"inventory", "--root", root}, bad...)...); code != exitError {
			t.Errorf("%v: exit %d, want 2\n%s", bad, code, stderr)
		}
	}
}

// TestInventoryOutputFile writes the JSON beside the markdown on stdout, as the action does.
func TestInventoryOutputFile(t *testing.T) {
	root, _ := historyRepo(t, "registry.example/org/web")
	out := filepath.Join(t.TempDir(), "inventory.json")
	code, stdout, stderr := runCLI(t, "inventory", "--root", root, "--format", "markdown", "--output", "json="+out)
	if code != exitOK || !strings.HasPrefix(stdout, "## What is deployed") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal([]byte(readFile(t, out)), &inv); err != nil || len(inv.Clusters) != 2 {
		t.Fatalf("json file: %v %+v", err, inv)
	}
}

func TestRollbackRestoresPreviousTagInOneCluster(t *testing.T) {
	registries := map[string]func(t *testing.T) (host string, push func(ref string)){
		"docker-registry": func(t *testing.T) (string, func(string)) {
			reg := registrytest.Start(t, registrytest.Options{})
			return reg.Host, func(ref string) { reg.Push(t, ref, registrytest.RandomImage(t, "linux/amd64")) }
		},
		"ggcr-in-process": func(t *testing.T) (string, func(string)) {
			srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
			t.Cleanup(srv.Close)
			host := strings.TrimPrefix(srv.URL, "http://")
			return host, func(ref string) {
				r, err := name.ParseReference(ref)
				if err != nil {
					t.Fatal(err)
				}
				if err := remote.Write(r, registrytest.RandomImage(t, "linux/amd64")); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
	for regName, start := range registries {
		t.Run(regName, func(t *testing.T) {
			host, push := start(t)
			web := host + "/org/web"
			root, commits := historyRepo(t, web)
			prod := filepath.Join(root, "clusters/prod/overlays/web/kustomization.yaml")
			staging := filepath.Join(root, "clusters/staging/overlays/web/kustomization.yaml")
			prodBefore, stagingBefore := readFile(t, prod), readFile(t, staging)

			// 1.1.0 was never pushed: refused by the registry check, nothing written.
			code, _, stderr := runCLI(t, "rollback", "--root", root, "--image", web, "--cluster", "prod")
			if code != exitFindings || !strings.Contains(stderr, web+":1.1.0 does not exist in the registry") {
				t.Fatalf("unpushed: exit %d\n%s", code, stderr)
			}
			if readFile(t, prod) != prodBefore {
				t.Fatal("a refused rollback wrote")
			}
			push(web + ":1.1.0")

			// Dry run: the diff on stdout, nothing written.
			code, stdout, stderr := runCLI(t, "rollback", "--root", root, "--image", web, "--cluster", "prod", "--dry-run")
			if code != exitOK || !strings.Contains(stdout, `-    newTag: "1.2.0"`) || !strings.Contains(stdout, `+    newTag: "1.1.0"`) {
				t.Fatalf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, "1.2.0 -> 1.1.0, undoing "+commits[3][:12]+" (web 1.2.0 to prod) by Cat") {
				t.Errorf("dry run stderr:\n%s", stderr)
			}
			if readFile(t, prod) != prodBefore {
				t.Fatal("dry run wrote")
			}

			code, stdout, stderr = runCLI(t, "rollback", "--root", root, "--image", web, "--cluster", "prod", "--format", "json")
			if code != exitOK {
				t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
			}
			var out struct {
				From, To string
				Undone   inventory.Change
				Bump     struct {
					Verified, RenderChecked bool
					Files                   []string
				}
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatal(err)
			}
			if out.From != "1.2.0" || out.To != "1.1.0" || out.Undone.Commit != commits[3] || !out.Bump.Verified || !out.Bump.RenderChecked ||
				strings.Join(out.Bump.Files, ",") != "clusters/prod/overlays/web/kustomization.yaml" {
				t.Errorf("result: %+v", out)
			}
			if got, want := readFile(t, prod), strings.Replace(prodBefore, `"1.2.0"`, `"1.1.0"`, 1); got != want {
				t.Errorf("prod after rollback:\n%s\nwant:\n%s", got, want)
			}
			if readFile(t, staging) != stagingBefore {
				t.Error("rollback of prod changed staging")
			}

			// staging's tag was set when its line was added: nothing earlier.
			code, _, stderr = runCLI(t, "rollback", "--root", root, "--image", web, "--cluster", "staging", "--no-verify")
			if code != exitFindings || !strings.Contains(stderr, "added this line") {
				t.Errorf("staging: exit %d\n%s", code, stderr)
			}
		})
	}
}

// Without git history the inventory still lists everything and says why
// the last changes are missing; rollback refuses.
func TestInventoryWithoutHistory(t *testing.T) {
	src, _ := historyRepo(t, "registry.example/org/web")
	root := t.TempDir()
	if out, err := exec.Command("cp", "-r", src+"/.", root).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	if err := os.RemoveAll(filepath.Join(root, ".git")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "inventory", "--root", root, "--cluster", "prod")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "prod/web\timage\tregistry.example/org/web:1.2.0\tclusters/prod/overlays/web/kustomization.yaml:6\n") ||
		!strings.Contains(stdout, "\nhistory: reading history: ") {
		t.Errorf("stdout:\n%s", stdout)
	}
	code, _, stderr = runCLI(t, "rollback", "--root", root, "--cluster", "prod", "--image", "registry.example/org/web", "--no-verify")
	if code != exitFindings || !strings.Contains(stderr, "the history is needed") {
		t.Errorf("rollback without history: exit %d\n%s", code, stderr)
	}
}

// A digest-pinned image rolls back to the digest it had before.
func TestRollbackDigest(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	web := strings.TrimPrefix(srv.URL, "http://") + "/org/web"
	push := func(tag string) string {
		img := registrytest.RandomImage(t, "linux/amd64")
		r, err := name.ParseReference(web + ":" + tag)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	d1, d2 := push("a"), push("b")
	root, _ := historyRepo(t, web)
	overlay := func(d string) string {
		return "resources:\n  - ../../../../_base/web\nimages:\n  - name: " + web + "\n    digest: " + d + "\n"
	}
	file := filepath.Join(root, "clusters/prod/overlays/web/kustomization.yaml")
	writeFiles(t, root, map[string]string{"clusters/prod/overlays/web/kustomization.yaml": overlay(d1)})
	gitAs(t, root, "Eve", "pin web")
	writeFiles(t, root, map[string]string{"clusters/prod/overlays/web/kustomization.yaml": overlay(d2)})
	pinned := gitAs(t, root, "Fay", "web to digest b")

	code, stdout, stderr := runCLI(t, "inventory", "--root", root, "--cluster", "prod", "--image", web, "--format", "json")
	if code != exitOK || !strings.Contains(stdout, `"digest": "`+d2+`"`) || !strings.Contains(stdout, pinned) {
		t.Fatalf("inventory: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "rollback", "--root", root, "--image", web, "--cluster", "prod")
	if code != exitOK || !strings.Contains(stdout, d2+" -> "+d1) || !strings.Contains(stdout, "verified") {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := readFile(t, file); got != overlay(d1) {
		t.Errorf("after rollback:\n%s", got)
	}
}
