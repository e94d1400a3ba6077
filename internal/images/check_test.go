package images_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/render-check/render-check/internal/config"
	"github.com/render-check/render-check/internal/images"
	"github.com/render-check/render-check/internal/registry/registrytest"
	"github.com/render-check/render-check/internal/report"
	"github.com/render-check/render-check/internal/resource"
)

// deployment writes a Deployment with the given images to root/file and
// returns it as a rendered resource.
func deployment(t *testing.T, root, cluster, app, file, name string, imgs ...string) *resource.Resource {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: ns\nspec:\n  template:\n    spec:\n      containers:\n", name)
	for i, img := range imgs {
		fmt.Fprintf(&b, "      - name: c%d\n        image: %s\n", i, img)
	}
	p := filepath.Join(root, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(b.String()), &obj); err != nil {
		t.Fatal(err)
	}
	return &resource.Resource{Cluster: cluster, App: app, Object: obj, Origin: resource.Origin{File: file, Line: 1}}
}

func cluster(name string, apps ...*resource.App) *resource.Cluster {
	for _, a := range apps {
		a.Cluster = name
	}
	return &resource.Cluster{Name: name, Apps: apps}
}

// line of the n-th container's image (0-based) in deployment().
func imageLine(n int) int { return 11 + 2*n }

func findingLines(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s %s/%s %s:%d %s\n", f.Severity, f.Rule, f.Cluster, f.App, f.File, f.Line, f.Message)
	}
	return b.String()
}

func TestCheckFindings(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registrytest.Start(t, registrytest.Options{})
	reg.Push(t, reg.Ref("team/app", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	reg.Push(t, reg.Ref("team/app", ":latest"), registrytest.RandomImage(t, "linux/amd64"))
	old := reg.Push(t, reg.Ref("team/moved", ":1.0"), registrytest.RandomImage(t, ""))
	oldImg, err := registrytest.Pull(reg, "team/moved:1.0")
	if err != nil {
		t.Fatal(err)
	}
	reg.Push(t, reg.Ref("team/moved", ":keep"), oldImg)
	reg.Push(t, reg.Ref("team/moved", ":1.0"), registrytest.RandomImage(t, ""))
	down := registrytest.Start(t, registrytest.Options{})
	downHost := down.Host
	down.Stop()

	root := t.TempDir()
	h := reg.Host
	web := &resource.App{Name: "web", Resources: []*resource.Resource{
		deployment(t, root, "prod", "web", "apps/web.yaml", "web", h+"/team/app:1.0", h+"/team/app:2.0", h+"/team/app:2.0", h+"/team/nope:1.0"),
		deployment(t, root, "prod", "web", "apps/web2.yaml", "web2", h+"/team/app:2.0", h+"/team/app", h+"/team/moved:1.0@"+old, h+"/skipped/x:1", "UPPER:case"),
		deployment(t, root, "prod", "web", "apps/web3.yaml", "web3", downHost+"/team/app:1.0"),
	}}
	stage := &resource.App{Name: "web", Resources: []*resource.Resource{
		deployment(t, root, "stage", "web", "stage/web.yaml", "web", h+"/team/app:2.0"),
	}}
	clusters := []*resource.Cluster{cluster("prod", web), cluster("stage", stage)}
	retries := 0
	cfg := config.Images{Skip: []string{h + "/skipped/**"}, Retries: &retries, Timeout: "2s"}

	fs, err := images.Check(context.Background(), clusters, images.Options{Root: root, Config: cfg, Mode: "verify"})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		fmt.Sprintf("error image/tag-not-found prod/web apps/web.yaml:%d %s/team/app:2.0: tag not found", imageLine(1), h),
		fmt.Sprintf("error image/tag-not-found prod/web apps/web.yaml:%d %s/team/nope:1.0: repository not found", imageLine(3), h),
		fmt.Sprintf("warning image/mutable-tag prod/web apps/web2.yaml:%d %s/team/app: no tag (means latest, which changes under you); pin a version or digest", imageLine(1), h),
		fmt.Sprintf("warning image/digest-mismatch prod/web apps/web2.yaml:%d %s/team/moved:1.0@%s: tag 1.0 moved to", imageLine(2), h, old),
		fmt.Sprintf("error image/invalid-reference prod/web apps/web2.yaml:%d \"UPPER:case\" is not a valid image reference", imageLine(4)),
		fmt.Sprintf("error image/unreachable prod/web apps/web3.yaml:%d %s/team/app:1.0: cannot reach registry %s: connection refused", imageLine(0), downHost, downHost),
		fmt.Sprintf("error image/tag-not-found stage/web stage/web.yaml:%d %s/team/app:2.0: tag not found", imageLine(0), h),
	}, "\n")
	got := findingLines(fs)
	for _, w := range strings.Split(want, "\n") {
		if !strings.Contains(got, w) {
			t.Errorf("missing finding\n  %s\nin\n%s", w, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 7 {
		t.Errorf("%d findings, want 7 (one per reference, cluster and app):\n%s", n, got)
	}
	for _, f := range fs {
		if f.Resource == nil || f.Resource.Kind != "Deployment" {
			t.Errorf("finding without resource: %+v", f)
		}
	}

	// warn: registry failures become warnings; invalid references stay errors.
	fs, err = images.Check(context.Background(), clusters, images.Options{Root: root, Config: cfg, Mode: "warn"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Severity == report.SeverityError && f.Rule != report.RuleImageInvalidReference {
			t.Errorf("warn mode left an error: %+v", f)
		}
	}
}

func TestCheckAuthTLSAndPlatforms(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	private := registrytest.Start(t, registrytest.Options{Auth: true, TLS: true})
	private.Push(t, private.Ref("p/app", ":1.0"), registrytest.RandomImage(t, "linux/amd64"))
	private.PushIndex(t, private.Ref("p/multi", ":1.0"), registrytest.RandomIndex(t, "linux/amd64", "linux/arm64"))
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "ca.pem"), private.CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	app := &resource.App{Name: "p", Resources: []*resource.Resource{
		deployment(t, root, "prod", "p", "apps/p.yaml", "p", private.Ref("p/app", ":1.0"), private.Ref("p/multi", ":1.0")),
	}}
	clusters := []*resource.Cluster{cluster("prod", app)}
	env := map[string]string{"P_USER": private.Username, "P_PASS": private.Password}
	getenv := func(k string) string { return env[k] }
	creds := []config.ImageCredential{{Registry: private.Host, UsernameEnv: "P_USER", PasswordEnv: "P_PASS"}}

	run := func(cfg config.Images) string {
		t.Helper()
		fs, err := images.Check(context.Background(), clusters, images.Options{Root: root, Config: cfg, Getenv: getenv})
		if err != nil {
			t.Fatal(err)
		}
		out := findingLines(fs)
		if strings.Contains(out, private.Password) {
			t.Fatalf("a finding contains the password:\n%s", out)
		}
		return out
	}
	if got := run(config.Images{CABundle: "ca.pem", Credentials: creds}); got != "" {
		t.Errorf("with CA and credentials, want no findings, got\n%s", got)
	}
	got := run(config.Images{CABundle: "ca.pem"})
	if strings.Count(got, "error image/unauthorized") != 2 || !strings.Contains(got, "denied access (HTTP 401, no credentials configured)") {
		t.Errorf("without credentials, want 2 unauthorized, got\n%s", got)
	}
	got = run(config.Images{Credentials: creds})
	if strings.Count(got, "error image/unreachable") != 2 || !strings.Contains(got, "not trusted") {
		t.Errorf("without the CA, want 2 unreachable, got\n%s", got)
	}
	got = run(config.Images{CABundle: "ca.pem", Credentials: creds, Platforms: []string{"linux/amd64", "linux/arm64"}})
	want := fmt.Sprintf("error image/platform-missing prod/p apps/p.yaml:%d %s: missing platform linux/arm64 (has linux/amd64)\n", imageLine(0), private.Ref("p/app", ":1.0"))
	if got != want {
		t.Errorf("platforms: got\n%s\nwant\n%s", got, want)
	}
	if _, err := images.Check(context.Background(), clusters, images.Options{Root: root, Config: config.Images{Platforms: []string{"nope"}}}); err == nil {
		t.Error("a bad platform must be an error")
	}
	if _, err := images.Check(context.Background(), clusters, images.Options{Root: root, Config: config.Images{CABundle: "missing.pem"}}); err == nil {
		t.Error("a missing CA bundle must be an error")
	}
	if err := os.WriteFile(filepath.Join(root, "bad.pem"), []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := images.Check(context.Background(), clusters, images.Options{Root: root, Config: config.Images{CABundle: "bad.pem"}}); err == nil {
		t.Error("a CA bundle without certificates must be an error")
	}
}

func TestCheckConfigErrors(t *testing.T) {
	neg := -1
	cases := map[string]images.Options{
		"mode":          {Mode: "bogus"},
		"timeout":       {Config: config.Images{Timeout: "soon"}},
		"total timeout": {Config: config.Images{TotalTimeout: "-1s"}},
		"skip glob":     {Config: config.Images{Skip: []string{"registry/["}}},
		"retries":       {Config: config.Images{Retries: &neg}},
		"rate limit":    {Config: config.Images{RateLimit: -1}},
		"credentials":   {Config: config.Images{Credentials: []config.ImageCredential{{Registry: "ghcr.io"}}}},
		"platform":      {Config: config.Images{Platforms: []string{"linux"}}},
	}
	for name, opts := range cases {
		opts.Root = t.TempDir()
		if _, err := images.Check(context.Background(), nil, opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if fs, err := images.Check(context.Background(), nil, images.Options{Root: t.TempDir()}); err != nil || len(fs) != 0 {
		t.Errorf("no clusters: %v %v", fs, err)
	}
}
