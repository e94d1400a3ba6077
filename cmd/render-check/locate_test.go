package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
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
// plain image: field, a kustomization's images: newTag, an images: entry
// without newTag, Helm values repository+tag, a value file that overrides
// only the tag of the chart's repository (also through a multi-source
// $ref, and above a lower value file naming the same tag), a chart's
// values.yaml with a digest field, an Application's kustomize.images), the
// image check's finding names the file:line that `bump --dry-run` reports
// for the same image: the one locator both use. A tag-only override is
// then bumped for real and rendered with the new tag.
func TestImageFindingLineIsBumpLine(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registrytest.Start(t, registrytest.Options{})
	ref := func(repo string) string { return reg.Ref(repo, "") }
	const header = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %s
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
`
	app := func(name, path, extra string) string {
		return fmt.Sprintf(header+`  source:
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
	const chartImage = `"{{ .Values.image.repository }}:{{ .Values.image.tag }}"`
	const digest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
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
		// kustomization images: entry without newTag (the tag comes from the
		// base): the finding and bump both name the entry's newName line
		"clusters/prod/apps/kustnew.yaml":         app("kustnew", "apps/kustnew/overlay", ""),
		"apps/kustnew/base/kustomization.yaml":    "resources: [deploy.yaml]\n",
		"apps/kustnew/base/deploy.yaml":           deploy("kustnew", ref("shop/kustold")+":1.0"),
		"apps/kustnew/overlay/kustomization.yaml": fmt.Sprintf("resources: [../base]\nimages:\n- name: %s\n  newName: %s\n", ref("shop/kustold"), ref("shop/kustnew")),
		// Helm values: repository + tag, in a value file over the chart's
		"clusters/prod/apps/chart.yaml":    app("chart", "charts/web", "    helm:\n      valueFiles: [values-prod.yaml]\n"),
		"charts/web/Chart.yaml":            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":           fmt.Sprintf("image:\n  repository: %s\n  tag: \"0.9\"\n", ref("shop/chart")),
		"charts/web/values-prod.yaml":      fmt.Sprintf("replicas: 2\nimage:\n  repository: %s\n  tag: \"1.0\"\n", ref("shop/chart")),
		"charts/web/templates/deploy.yaml": deploy("chart", chartImage),
		// a value file that overrides only the tag; the repository is in the
		// chart's values.yaml (whose tag is empty)
		"clusters/prod/apps/override.yaml":  app("override", "charts/over", "    helm:\n      valueFiles: [values-prod.yaml]\n"),
		"charts/over/Chart.yaml":            "apiVersion: v2\nname: over\nversion: 0.1.0\n",
		"charts/over/values.yaml":           fmt.Sprintf("image:\n  repository: %s\n  tag: \"\"\n", ref("shop/override")),
		"charts/over/values-prod.yaml":      "replicas: 2\nimage:\n  tag: \"1.0\"\n",
		"charts/over/templates/deploy.yaml": deploy("override", chartImage),
		// the same through a multi-source $ref value file
		"clusters/prod/apps/refover.yaml": fmt.Sprintf(header+`  sources:
  - repoURL: https://git.example/config.git
    targetRevision: HEAD
    path: charts/refover
    helm:
      valueFiles: [$values/values/refover.yaml]
  - repoURL: https://git.example/config.git
    targetRevision: HEAD
    ref: values
`, "refover"),
		"charts/refover/Chart.yaml":            "apiVersion: v2\nname: refover\nversion: 0.1.0\n",
		"charts/refover/values.yaml":           fmt.Sprintf("image:\n  repository: %s\n  tag: \"\"\n", ref("shop/refover")),
		"charts/refover/templates/deploy.yaml": deploy("refover", chartImage),
		"values/refover.yaml":                  "image:\n  tag: \"1.0\"\n",
		// precedence: the last value file setting the tag wins, though an
		// earlier one names the repository and the same tag
		"clusters/prod/apps/stack.yaml":      app("stack", "charts/stack", "    helm:\n      valueFiles: [values-a.yaml, values-b.yaml]\n"),
		"charts/stack/Chart.yaml":            "apiVersion: v2\nname: stack\nversion: 0.1.0\n",
		"charts/stack/values.yaml":           fmt.Sprintf("image:\n  repository: %s\n  tag: \"0.1\"\n", ref("shop/stack")),
		"charts/stack/values-a.yaml":         fmt.Sprintf("image:\n  repository: %s\n  tag: \"1.0\"\n", ref("shop/stack")),
		"charts/stack/values-b.yaml":         "image:\n  tag: \"1.0\"\n",
		"charts/stack/templates/deploy.yaml": deploy("stack", chartImage),
		// a chart's own values.yaml with an empty digest beside the tag
		"clusters/prod/apps/digest.yaml": app("digest", "charts/dig", ""),
		"charts/dig/Chart.yaml":          "apiVersion: v2\nname: dig\nversion: 0.1.0\n",
		"charts/dig/values.yaml":         fmt.Sprintf("image:\n  repository: %s\n  tag: \"1.0\"\n  digest: \"\"\n", ref("shop/digest")),
		"charts/dig/templates/deploy.yaml": deploy("digest",
			`"{{ .Values.image.repository }}{{ if .Values.image.digest }}@{{ .Values.image.digest }}{{ else }}:{{ .Values.image.tag }}{{ end }}"`),
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
	cases := []struct {
		app, repo string
		want      string // file:line a person edits, named by the finding
		bump      []string
		// editLine: the line bump edits, when it is not the finding's line
		// (a --digest bump edits the digest beside the tag the finding names)
		editLine string
	}{
		{app: "plain", repo: "shop/plain", want: "apps/plain/deploy.yaml:14"},
		{app: "kust", repo: "shop/kust", want: "apps/kust/overlay/kustomization.yaml:4"},
		{app: "kustnew", repo: "shop/kustnew", want: "apps/kustnew/overlay/kustomization.yaml:4"},
		{app: "chart", repo: "shop/chart", want: "charts/web/values-prod.yaml:4"},
		{app: "override", repo: "shop/override", want: "charts/over/values-prod.yaml:3"},
		{app: "refover", repo: "shop/refover", want: "values/refover.yaml:2"},
		{app: "stack", repo: "shop/stack", want: "charts/stack/values-b.yaml:2"},
		{app: "digest", repo: "shop/digest", want: "charts/dig/values.yaml:3", bump: []string{"--digest", digest}, editLine: "charts/dig/values.yaml:4"},
		{app: "argokust", repo: "shop/argokust", want: "clusters/prod/apps/argokust.yaml:17"},
	}
	for _, tc := range cases {
		f, ok := found[tc.app]
		if !ok {
			t.Errorf("%s: no image/tag-not-found finding; findings: %+v", tc.app, rep.Findings)
			continue
		}
		at := fmt.Sprintf("%s:%d", f.File, f.Line)
		if at != tc.want {
			t.Errorf("%s: finding at %s, want %s", tc.app, at, tc.want)
		}
		bump := tc.bump
		if bump == nil {
			bump = []string{"--tag", "2.0"}
		}
		args := append([]string{"bump", "--root", root, "--image", ref(tc.repo), "--no-verify", "--dry-run", "--format", "json"}, bump...)
		code, out, errOut := runCLI(t, args...)
		var res imagebump.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK {
			t.Fatalf("%s: bump exit %d, %v\n%s\n%s", tc.app, code, err, out, errOut)
		}
		var edited, named []string
		for _, r := range res.References {
			if r.Status == imagebump.StatusChanged {
				edited = append(edited, fmt.Sprintf("%s:%d", r.File, r.Line))
				named = append(named, fmt.Sprintf("%s:%d", r.File, r.ReferenceLine))
			}
		}
		// bump edits every reference in scope (a chart's own values.yaml
		// too); the finding's line must be one of them.
		editLine := tc.editLine
		if editLine == "" {
			editLine = at
		}
		if !slices.Contains(edited, editLine) {
			t.Errorf("%s: bump --dry-run edits %v, not %s", tc.app, edited, editLine)
		}
		if i := slices.Index(edited, editLine); i < 0 || named[i] != at {
			t.Errorf("%s: bump --dry-run names the references %v (edits %v), not %s the finding names", tc.app, named, edited, at)
		}
	}

	// The tag-only overrides are bumped for real (rendered with the edit
	// before writing) and render with the new tag; the charts' own values
	// stay as they were.
	chartValues := map[string]string{}
	for _, p := range []string{"charts/over/values.yaml", "charts/refover/values.yaml"} {
		chartValues[p] = readFile(t, filepath.Join(root, p))
	}
	for _, tc := range []struct{ app, repo, file, tagLine string }{
		{"override", "shop/override", "charts/over/values-prod.yaml", `  tag: "2.0"`},
		{"refover", "shop/refover", "values/refover.yaml", `  tag: "2.0"`},
	} {
		code, out, errOut := runCLI(t, "bump", "--root", root, "--image", ref(tc.repo), "--tag", "2.0", "--no-verify", "--format", "json")
		var res imagebump.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK || !res.Changed || !res.RenderChecked {
			t.Fatalf("%s: bump exit %d, %v, %+v\n%s", tc.app, code, err, res, errOut)
		}
		if !slices.Equal(res.Files, []string{tc.file}) {
			t.Errorf("%s: bump changed %v, want only %s", tc.app, res.Files, tc.file)
		}
		if got := readFile(t, filepath.Join(root, tc.file)); !strings.Contains(got, tc.tagLine+"\n") {
			t.Errorf("%s: %s after the bump:\n%s", tc.app, tc.file, got)
		}
	}
	for p, was := range chartValues {
		if got := readFile(t, filepath.Join(root, p)); got != was {
			t.Errorf("%s changed:\n%s", p, got)
		}
	}
	outDir := t.TempDir()
	if code, _, errOut := runCLI(t, "render", "--root", root, "--no-cache", "--output-dir", outDir); code != exitOK {
		t.Fatalf("render exit %d\n%s", code, errOut)
	}
	for app, repo := range map[string]string{"override": "shop/override", "refover": "shop/refover"} {
		got := readFile(t, filepath.Join(outDir, "prod", app+".yaml"))
		if !strings.Contains(got, "image: "+ref(repo)+":2.0\n") {
			t.Errorf("%s renders, after the bump:\n%s", app, got)
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

// TestBumpNeverEditsChartValuesOutsideTheRepo: the pairing of a tag-only
// value file with its chart's values.yaml reads that values.yaml only
// inside the root. A remote chart (pulled into the chart cache) and a
// chart directory symlinked from outside the root name the repository;
// the repo's value files override only the tag. Bump finds no reference
// it may edit, refuses, and leaves the chart cache, the outside chart and
// the repo byte for byte as they were.
func TestBumpNeverEditsChartValuesOutsideTheRepo(t *testing.T) {
	deploy := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: x}\n    spec:\n      containers:\n      - name: main\n        image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n"
	tgz := chartArchive(t, "remote", "1.0.0", map[string]string{
		"values.yaml":           "image:\n  repository: registry.example/org/remote\n  tag: \"0.1\"\n",
		"templates/deploy.yaml": deploy,
	})
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  remote:\n    - apiVersion: v2\n      name: remote\n      version: 1.0.0\n      urls: [%s/remote-1.0.0.tgz]\n      digest: \"\"\ngenerated: \"2026-01-01T00:00:00Z\"\n", srv.URL)
		case "/remote-1.0.0.tgz":
			_, _ = w.Write(tgz)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cache, outside := t.TempDir(), t.TempDir()
	writeFiles(t, outside, map[string]string{
		"chart/Chart.yaml":            "apiVersion: v2\nname: linked\nversion: 0.1.0\n",
		"chart/values.yaml":           "image:\n  repository: registry.example/org/outside\n  tag: \"0.1\"\n",
		"chart/templates/deploy.yaml": deploy,
	})
	app := func(name, sources string) string {
		return fmt.Sprintf("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: %s\n  namespace: argocd\nspec:\n  project: default\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: shop\n%s", name, sources)
	}
	root := bumpRepo(t, map[string]string{
		".render-check.yaml": "repoURLs: [https://git.example/config.git]\nrender:\n  chartCacheDir: " + cache + "\n",
		"clusters/prod/apps/remote.yaml": app("remote", `  sources:
  - repoURL: `+srv.URL+`
    chart: remote
    targetRevision: 1.0.0
    helm:
      valueFiles: [$values/values/remote.yaml]
  - repoURL: https://git.example/config.git
    targetRevision: HEAD
    ref: values
`),
		"values/remote.yaml": "image:\n  tag: \"1.0\"\n",
		"clusters/prod/apps/linked.yaml": app("linked", `  source:
    repoURL: https://git.example/config.git
    targetRevision: HEAD
    path: charts/linked
    helm:
      valueFiles: [/values/linked.yaml]
`),
		"values/linked.yaml": "image:\n  tag: \"1.0\"\n",
	})
	symlink(t, filepath.Join(outside, "chart"), filepath.Join(root, "charts/linked"))
	// the remote chart is pulled into the cache, as a check would
	code, rendered, errOut := runCLI(t, "render", "--root", root, "--no-cache", "--output-dir", t.TempDir())
	if !strings.Contains(errOut, "linked") || code != exitFindings {
		t.Fatalf("render exit %d: want the linked chart refused\n%s\n%s", code, rendered, errOut)
	}
	files := func() map[string]string {
		out := map[string]string{}
		for _, dir := range []string{root, cache, outside} {
			err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() || d.Type()&os.ModeSymlink != 0 {
					return err
				}
				b, err := os.ReadFile(p)
				out[p] = string(b)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	before := files()
	if !slices.ContainsFunc(slices.Collect(maps.Keys(before)), func(p string) bool { return strings.HasPrefix(p, cache) }) {
		t.Fatalf("the remote chart was not cached: %v", slices.Collect(maps.Keys(before)))
	}
	for _, image := range []string{"registry.example/org/remote", "registry.example/org/outside"} {
		code, out, errOut := runCLI(t, "bump", "--root", root, "--image", image, "--tag", "2.0", "--no-verify")
		if code != exitFindings || !strings.Contains(errOut, "referenced nowhere") {
			t.Errorf("%s: bump exit %d, want a refusal: nothing in the repo names it\n%s\n%s", image, code, out, errOut)
		}
	}
	if after := files(); !maps.Equal(before, after) {
		for p, b := range after {
			if before[p] != b {
				t.Errorf("%s changed:\n%s", p, b)
			}
		}
	}
}
