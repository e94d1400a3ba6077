package render

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/argo"
	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/workspace"
)

func TestParseBuildOptions(t *testing.T) {
	o, err := ParseBuildOptions(`--enable-helm --load-restrictor=LoadRestrictionsNone --helm-kube-version 1.30.0 --helm-api-versions a/v1,b/v1 --reorder none`)
	if err != nil {
		t.Fatal(err)
	}
	if !o.EnableHelm || !o.LoadRestrictionsNone || o.HelmKubeVersion != "1.30.0" || len(o.HelmAPIVersions) != 2 || o.Reorder != "none" {
		t.Errorf("parsed %+v", o)
	}
	o, err = ParseBuildOptions("")
	if err != nil || o.EnableHelm || o.LoadRestrictionsNone || o.Reorder != "legacy" {
		t.Errorf("defaults %+v, %v", o, err)
	}
	// every option Argo CD may pass is accepted; those render-check cannot
	// honour are listed
	o, err = ParseBuildOptions("--enable-alpha-plugins --enable-exec --load-restrictor LoadRestrictionsNone --mount type=bind,src=/a,dst=/b -e FOO=bar --network --helm-command /usr/bin/helm3 --enable-managedby-label --stack-trace")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.NotApplied, ","); got != "enable-alpha-plugins,enable-exec,enable-managedby-label,env,helm-command,mount,network,stack-trace" || !o.LoadRestrictionsNone {
		t.Errorf("not applied: %s (%+v)", got, o)
	}
	for _, bad := range []string{"--enable-plugins-of-doom", "--load-restrictor Sometimes", "--reorder random", "stray", `--enable-helm "unterminated`} {
		if _, err := ParseBuildOptions(bad); err == nil {
			t.Errorf("ParseBuildOptions(%q): want an error", bad)
		}
	}
}

func TestGlobRegexp(t *testing.T) {
	cases := []struct {
		glob, path string
		match      bool
	}{
		{"*.yaml", "a.yaml", true},
		{"*.yaml", "sub/a.yaml", true},
		{"*.yaml", "a.yml", false},
		{"{*.yaml,*.json}", "x/y.json", true},
		{"{a,b}/*", "c/x.yaml", false},
		{"sub/?.yaml", "sub/a.yaml", true},
		{"sub/[ab].yaml", "sub/c.yaml", false},
		{"sub/[!ab].yaml", "sub/c.yaml", true},
		{"config.yaml", "config.yaml", true},
		{"config.yaml", "configxyaml", false},
	}
	for _, c := range cases {
		re, err := globRegexp(c.glob)
		if err != nil {
			t.Fatalf("%q: %v", c.glob, err)
		}
		if got := re.MatchString(c.path); got != c.match {
			t.Errorf("glob %q on %q = %v, want %v", c.glob, c.path, got, c.match)
		}
	}
	for _, bad := range []string{"{a,b", "[ab"} {
		if _, err := globRegexp(bad); err == nil {
			t.Errorf("globRegexp(%q): want an error", bad)
		}
	}
}

func TestEnvsubst(t *testing.T) {
	env := map[string]string{"ARGOCD_APP_NAME": "web", "X": "1"}
	cases := map[string]string{
		"$ARGOCD_APP_NAME":      "web",
		"${ARGOCD_APP_NAME}-v2": "web-v2",
		"$UNKNOWN!":             "!",
		"$$HOME":                "$HOME",
		"no dollars":            "no dollars",
		"a$X$X":                 "a11",
	}
	for in, want := range cases {
		if got := envsubst(in, env); got != want {
			t.Errorf("envsubst(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMergePatchSource(t *testing.T) {
	src := argo.Source{RepoURL: "https://x/r.git", Path: "p", TargetRevision: "main",
		Helm: &argo.HelmSource{ValueFiles: []string{"a.yaml", "b.yaml"}, ReleaseName: "r"}}
	got, err := mergePatchSource(src, map[string]any{
		"path": "elsewhere", "repoURL": "https://evil/r.git",
		"helm": map[string]any{"valueFiles": []any{"c.yaml"}, "releaseName": nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != "p" || got.RepoURL != "https://x/r.git" {
		t.Errorf("path/repoURL not restored: %+v", got)
	}
	if len(got.Helm.ValueFiles) != 1 || got.Helm.ValueFiles[0] != "c.yaml" || got.Helm.ReleaseName != "" {
		t.Errorf("merge patch: %+v", got.Helm)
	}
}

func TestParseImageArg(t *testing.T) {
	cases := map[string][3]string{ // arg -> name, newName, tag
		"nginx:1.2":                 {"nginx", "", "1.2"},
		"nginx=registry.io/nginx:3": {"nginx", "registry.io/nginx", "3"},
		"localhost:5000/app:1.0":    {"localhost:5000/app", "", "1.0"},
		"app=*:2.0":                 {"app", "*", "2.0"},
	}
	for arg, want := range cases {
		img, err := parseImageArg(arg)
		if err != nil {
			t.Errorf("%q: %v", arg, err)
			continue
		}
		if img.Name != want[0] || img.NewName != want[1] || img.NewTag != want[2] {
			t.Errorf("%q = %+v, want %v", arg, img, want)
		}
	}
	img, err := parseImageArg("alpine@sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3")
	if err != nil || img.Digest == "" {
		t.Errorf("digest: %+v %v", img, err)
	}
	if _, err := parseImageArg("nginx"); err == nil {
		t.Error("bare name: want an error")
	}
}

// TestDirectorySymlinks: a symlink inside the repo is followed, one
// pointing outside fails the app.
func TestDirectorySymlinks(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := extract(t, "testdata/cases/no-origin.txtar")
	if err := os.WriteFile(filepath.Join(root, ".render-check.yaml"), []byte("repoURLs: [https://git.example.com/whatever.git]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "linked"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "m", "cm.yaml"), filepath.Join(root, "linked", "in.yaml")); err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(root, "")
	r := &renderer{repo: mustOpen(t, root, cfg), lines: newLineIndex()}
	out, err := r.renderDirectory(context.Background(), "linked", nil, nil)
	if err != nil || len(out.resources) != 1 {
		t.Fatalf("symlink inside the repo: %v, %+v", err, out)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(root, "linked", "out.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err = r.renderDirectory(context.Background(), "linked", nil, nil)
	var fe *FileError
	if !errorsAs(err, &fe) || fe.File != "linked/out.yaml" {
		t.Fatalf("symlink outside the repo: err = %v, want a FileError on linked/out.yaml", err)
	}
}

func mustOpen(t *testing.T, root string, cfg *config.Config) *workspace.Workspace {
	t.Helper()
	r, err := workspace.Open(t.Context(), root, workspace.Settings{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestParallelismDoesNotChangeOutput renders the example with one worker
// and with many: same bytes.
func TestParallelismDoesNotChangeOutput(t *testing.T) {
	root, _ := filepath.Abs("../../testdata/clusters")
	var outs []string
	for _, p := range []int{1, 16} {
		cfg, err := config.Load(root, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Render.Parallelism = p
		res, err := Render(context.Background(), Options{Root: root, Config: cfg, ChartCacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, dump(t, res))
	}
	if outs[0] != outs[1] {
		t.Errorf("parallelism changes the output:\n%s", diffLines(outs[0], outs[1]))
	}
}
