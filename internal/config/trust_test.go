package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/render-check/render-check/internal/netpolicy"
)

func TestTrustSplit(t *testing.T) {
	root := t.TempDir()
	cfg := `images:
  credentials: [{registry: evil:5000, passwordEnv: GITHUB_TOKEN}]
  insecure: [evil:5000]
  skip: ["registry.internal/**"]
  tagCacheTTL: 8760h
render:
  kustomizeBuildOptions: --enable-helm --load-restrictor LoadRestrictionsNone
policy:
  severity: {repo/notifications: error, repo/sync-window: "off", repo/codeowners: warning}
network: all
`
	if err := os.WriteFile(filepath.Join(root, FileName), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	// a push build: everything honoured, no flags needed
	c, err := LoadWith(LoadOptions{Root: root, Getenv: env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"})})
	if err != nil {
		t.Fatal(err)
	}
	if c.Trust.Untrusted || len(c.Images.Credentials) != 1 || len(c.Trust.Ignored) != 0 || c.Trust.Network.Mode != netpolicy.All {
		t.Fatalf("trusted run: %+v", c.Trust)
	}

	// a pull request: trust-granting settings dropped, the rest kept
	c, err = LoadWith(LoadOptions{Root: root, Getenv: env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request"})})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, ig := range c.Trust.Ignored {
		keys = append(keys, ig.Key)
	}
	want := "images.credentials,images.insecure,images.tagCacheTTL,network,policy.severity,render.kustomizeBuildOptions"
	if strings.Join(keys, ",") != want {
		t.Fatalf("ignored %v, want %s", keys, want)
	}
	if !c.Trust.Untrusted || len(c.Images.Credentials) != 0 || len(c.Images.Insecure) != 0 || len(c.Images.Skip) != 1 || c.Images.TagCacheTTL != "" {
		t.Fatalf("untrusted run kept %+v", c.Images)
	}
	if c.Render.KustomizeBuildOptions != "--enable-helm" {
		t.Errorf("build options %q", c.Render.KustomizeBuildOptions)
	}
	if got := c.Policy.Severity; len(got) != 1 || got["repo/notifications"] != "error" {
		t.Errorf("severity overrides kept %v, want only the raise", got)
	}
	if c.Trust.Network.Mode != netpolicy.Off {
		t.Errorf("network %v, want off", c.Trust.Network)
	}
	if ig := c.Trust.Ignored[0]; ig.File != FileName || ig.Line != 2 {
		t.Errorf("first ignored at %s:%d", ig.File, ig.Line)
	}

	// the trusted side lists hosts; a config outside the checkout is trusted
	outside := filepath.Join(t.TempDir(), "trusted.yaml")
	if err := os.WriteFile(outside, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = LoadWith(LoadOptions{Root: root, Path: outside, Trust: TrustUntrusted, Network: "charts.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Trust.RepoFile || len(c.Images.Credentials) != 1 || c.Trust.Network.String() != "charts.example.com" {
		t.Fatalf("trusted config on an untrusted run: %+v %+v", c.Trust, c.Images)
	}
	// --config naming the checkout's own file stays untrusted
	c, err = LoadWith(LoadOptions{Root: root, Path: filepath.Join(root, FileName), Trust: TrustUntrusted})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Trust.RepoFile || len(c.Images.Credentials) != 0 {
		t.Fatalf("--config inside the checkout was trusted: %+v", c.Trust)
	}
}

// TestLoadRelativeConfigPath: a relative --config is read relative to the
// working directory, inside or outside the root.
func TestLoadRelativeConfigPath(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "rc.yaml"), []byte("repoURLs: [https://git.example.com/a.git]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	cfg, err := LoadWith(LoadOptions{Root: root, Path: "rc.yaml", Trust: TrustTrusted})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.RepoURLs) != 1 {
		t.Errorf("config not read: %+v", cfg.RepoURLs)
	}
}

// TestDeprecatedImagesCacheDir: a config with the old images.cacheDir still
// loads, trusted or not, and gives exactly one note at the key's line; on an
// untrusted run it is not also an ignored setting (it does nothing either
// way). A config without it gives no note.
func TestDeprecatedImagesCacheDir(t *testing.T) {
	root := t.TempDir()
	cfg := "images:\n  mode: warn\n  cacheDir: .cache/images\n"
	if err := os.WriteFile(filepath.Join(root, FileName), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, trust := range []TrustMode{TrustTrusted, TrustUntrusted} {
		c, err := LoadWith(LoadOptions{Root: root, Trust: trust})
		if err != nil {
			t.Fatalf("%s: %v", trust, err)
		}
		if len(c.Notes) != 1 || !strings.HasPrefix(c.Notes[0], FileName+":3: images.cacheDir is deprecated and has no effect") ||
			!strings.Contains(c.Notes[0], "--cache-dir / cache.dir") {
			t.Errorf("%s: notes %q", trust, c.Notes)
		}
		if len(c.Trust.Ignored) != 0 || c.Images.Mode != "warn" {
			t.Errorf("%s: ignored %+v, images %+v", trust, c.Trust.Ignored, c.Images)
		}
	}
	if err := os.WriteFile(filepath.Join(root, FileName), []byte("images:\n  mode: warn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadWith(LoadOptions{Root: root, Trust: TrustTrusted})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Notes) != 0 {
		t.Errorf("no cacheDir: notes %q", c.Notes)
	}
}

// TestUntrustedCRDPaths: on an untrusted run the checkout's config may name
// CRD paths inside the repo, not absolute paths on the runner; the dropped
// entries are reported as one ignored setting at their key.
func TestUntrustedCRDPaths(t *testing.T) {
	root := t.TempDir()
	cfg := "validate:\n  crds: [crds/, /etc/kubernetes/crds, vendor/crd.yaml]\n"
	if err := os.WriteFile(filepath.Join(root, FileName), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadWith(LoadOptions{Root: root, Trust: TrustUntrusted})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Validate.CRDs, ","); got != "crds/,vendor/crd.yaml" {
		t.Errorf("untrusted CRD paths %q", got)
	}
	if len(c.Trust.Ignored) != 1 || c.Trust.Ignored[0].Key != "validate.crds" || c.Trust.Ignored[0].Line != 2 {
		t.Errorf("ignored %+v, want validate.crds at line 2", c.Trust.Ignored)
	}
	c, err = LoadWith(LoadOptions{Root: root, Trust: TrustTrusted})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Validate.CRDs) != 3 || len(c.Trust.Ignored) != 0 {
		t.Errorf("trusted run: %v %+v", c.Validate.CRDs, c.Trust.Ignored)
	}
}
